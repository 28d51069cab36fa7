"""Every OpenRosa response body and header in one place (as Central's lib/formats/openrosa.js).

ODK Collect is strict: `text/xml` (it refuses `application/xml` for formList and manifest),
`X-OpenRosa-Version: 1.0` and a `Date` on every response, and `OpenRosaResponse` bodies whose
`<message>` it shows to the volunteer.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import quote
from xml.sax.saxutils import escape

from flask import Response
from werkzeug.http import http_date

CONTENT_TYPE = "text/xml; charset=utf-8"


@dataclass(frozen=True)
class FormListEntry:
    xml_form_id: str
    name: str | None
    version: str
    hash: str  # MD5 hex of exactly the XForm bytes served at downloadUrl
    has_media: bool


@dataclass(frozen=True)
class MediaFile:
    name: str
    md5: str


def response(body: str | bytes, status: int = 200, *,
             accept_content_length: int | None = None) -> Response:
    """A response with the headers Collect requires."""
    result = Response(body, status=status, content_type=CONTENT_TYPE)
    result.headers["X-OpenRosa-Version"] = "1.0"
    result.headers["Date"] = http_date()
    result.headers["Content-Language"] = "en"
    if accept_content_length is not None:
        result.headers["X-OpenRosa-Accept-Content-Length"] = str(accept_content_length)
    return result


def message(text: str, nature: str = "") -> str:
    """An `OpenRosaResponse` carrying one message (nature "error" for errors)."""
    return ('<OpenRosaResponse xmlns="http://openrosa.org/http/response" items="0">'
            f'<message nature="{escape(nature)}">{escape(text)}</message></OpenRosaResponse>')


def created(text: str = "full submission upload was successful!", *,
            accept_content_length: int | None = None) -> Response:
    return response(message(text), 201, accept_content_length=accept_content_length)


def error(status: int, text: str, *, accept_content_length: int | None = None) -> Response:
    return response(message(text, "error"), status, accept_content_length=accept_content_length)


def no_content(accept_content_length: int) -> Response:
    """HEAD/GET submission: 204 (Collect aborts on any other 2xx) and the size we accept."""
    result = response(b"", 204, accept_content_length=accept_content_length)
    result.headers.pop("Content-Type", None)
    return result


def form_list(entries: Iterable[FormListEntry], base_url: str) -> str:
    """The `xforms` list; `base_url` is the project URL the request came in on."""
    items = []
    for entry in entries:
        url = f"{base_url}/forms/{quote(entry.xml_form_id, safe='')}"
        manifest = (f"<manifestUrl>{escape(url)}/manifest</manifestUrl>"
                    if entry.has_media else "")
        items.append(
            f"<xform><formID>{escape(entry.xml_form_id)}</formID>"
            f"<name>{escape(entry.name or entry.xml_form_id)}</name>"
            f"<version>{escape(entry.version)}</version>"
            f"<hash>md5:{entry.hash}</hash>"
            f"<downloadUrl>{escape(url)}.xml</downloadUrl>{manifest}</xform>")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<xforms xmlns="http://openrosa.org/xforms/xformsList">'
            + "".join(items) + "</xforms>")


def manifest(files: Iterable[MediaFile], form_url: str) -> str:
    """The media manifest: only slots that hold a file, each with filename, hash, downloadUrl."""
    items = [
        f"<mediaFile><filename>{escape(f.name)}</filename><hash>md5:{f.md5}</hash>"
        f"<downloadUrl>{escape(form_url)}/attachments/{escape(quote(f.name, safe=''))}"
        "</downloadUrl></mediaFile>"
        for f in files
    ]
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<manifest xmlns="http://openrosa.org/xforms/xformsManifest">'
            + "".join(items) + "</manifest>")

"""Upload checks before any parser runs: file kind, sizes, zip bombs, XForm header fields."""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from io import BytesIO
from pathlib import PurePath
from xml.sax.saxutils import escape

import defusedxml.ElementTree as DET
from defusedxml import DefusedXmlException

from forms.errors import (
    UnsupportedUpload,
    UploadTooLarge,
    XFormParseError,
    XLSFormError,
)
from forms.model import check_depth

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLS_TYPE = "application/vnd.ms-excel"
XML_TYPES = frozenset({"application/xml", "text/xml"})
SNIFF_TYPES = frozenset({"", "application/octet-stream"})
EXTENSIONS = {".xml": "xml", ".xlsx": "xlsx", ".xlsm": "xlsx", ".xls": "xls"}
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"

MAX_UNCOMPRESSED = 100 * 1024 * 1024
MAX_ZIP_ENTRIES = 10_000
MAX_RATIO = 100
RATIO_CHECK_ABOVE = 10 * 1024 * 1024

_XF = "{http://www.w3.org/2002/xforms}"
_H = "{http://www.w3.org/1999/xhtml}"
_INSTANCE_ROOT = re.compile(
    rb"<(?:\w+:)?instance\b[^>]*>\s*(?:<!--.*?-->\s*)*<([\w:.-]+)\b([^>]*?)(/?)>", re.S
)
_VERSION_ATTR = re.compile(rb"""\sversion\s*=\s*("[^"]*"|'[^']*')""")


@dataclass(frozen=True)
class XFormInfo:
    """What Central reads from an XForm's header: form id, version and title."""

    form_id: str
    version: str
    title: str


def classify(data: bytes, content_type: str | None, filename: str | None, *, max_bytes: int) -> str:
    """Return "xml", "xlsx" or "xls" for an upload, or raise a typed error."""
    if len(data) > max_bytes:
        raise UploadTooLarge(f"The upload is {len(data)} bytes; the limit is {max_bytes}.")
    ctype = (content_type or "").split(";")[0].strip().lower()
    if ctype in XML_TYPES:
        kind = "xml"
    elif ctype == XLSX_TYPE:
        kind = "xlsx"
    elif ctype == XLS_TYPE:
        kind = "xls"
    elif ctype in SNIFF_TYPES:
        kind = _sniff(data, filename)
    else:
        raise UnsupportedUpload(
            f"Unexpected content type {ctype!r}; expected an XForm (application/xml) "
            "or an XLSForm (.xlsx, .xls)."
        )
    if not data.strip():
        if kind == "xml":
            raise XFormParseError("The uploaded XForm is empty.")
        raise XLSFormError("The uploaded file is empty.")
    return kind


def _sniff(data: bytes, filename: str | None) -> str:
    suffix = PurePath(filename).suffix.lower() if filename else ""
    if suffix in EXTENSIONS:
        return EXTENSIONS[suffix]
    if suffix:
        raise UnsupportedUpload(f"Unsupported file type {suffix!r}; expected .xml, .xlsx or .xls.")
    if data.startswith(ZIP_MAGIC):
        return "xlsx"
    if data.startswith(OLE2_MAGIC):
        return "xls"
    if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return "xml"
    if not data.strip():
        return "xlsx"  # empty: reported as an empty XLSForm by classify
    raise UnsupportedUpload("The upload is neither an XForm nor an XLSForm.")


def check_zip(data: bytes) -> None:
    """Refuse a .xlsx that is not a zip, or whose contents would inflate past our limits."""
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
        raise XLSFormError(f"The file is not a valid .xlsx workbook: {exc}") from exc
    if len(infos) > MAX_ZIP_ENTRIES:
        raise UploadTooLarge(
            f"The workbook holds {len(infos)} files; the limit is {MAX_ZIP_ENTRIES}."
        )
    # Declared sizes are a sound bound: zipfile stops reading a member at its declared
    # size and then fails the CRC check, so a member cannot inflate past what it claims.
    total = sum(info.file_size for info in infos)
    if total > MAX_UNCOMPRESSED:
        raise UploadTooLarge(
            f"The workbook would uncompress to {total} bytes; the limit is {MAX_UNCOMPRESSED}."
        )
    for info in infos:
        if info.file_size > RATIO_CHECK_ABOVE and info.file_size > MAX_RATIO * max(
            info.compress_size, 1
        ):
            raise UploadTooLarge(
                f"The workbook member {info.filename!r} has a suspicious compression ratio."
            )


def _parse(data: bytes):
    try:
        root = DET.fromstring(data, forbid_dtd=True)
        check_depth(root)
        return root
    except DefusedXmlException as exc:
        raise XFormParseError(f"The XForm may not declare a DTD or entities ({exc!r}).") from exc
    except DET.ParseError as exc:
        raise XFormParseError(f"The XForm is not well-formed XML: {exc}") from exc


def read_xform(data: bytes) -> XFormInfo:
    """Parse an XForm safely and read its form id, version and title."""
    root = _parse(data)
    instance = root.find(f"{_H}head/{_XF}model/{_XF}instance")
    children = list(instance) if instance is not None else []
    if not children:
        raise XFormParseError("The XForm has no primary instance; could not find its form id.")
    primary = children[0]
    form_id = (primary.get("id") or "").strip()
    if not form_id:
        raise XFormParseError("The XForm's primary instance has no id attribute (formId).")
    if "/" in form_id:
        raise XFormParseError(f"The form id '{form_id}' may not contain '/'.")
    title = root.findtext(f"{_H}head/{_H}title") or ""
    return XFormInfo(form_id=form_id, version=primary.get("version") or "", title=title.strip())


def rewrite_version(xml: bytes, version: str) -> bytes:
    """Set the primary instance root's version attribute, leaving every other byte alone."""
    _parse(xml)
    match = _INSTANCE_ROOT.search(xml)
    if match is None:
        raise XFormParseError("The XForm has no primary instance to version.")
    attrs = match.group(2)
    quoted = escape(version, {'"': "&quot;", "\n": "&#10;", "\t": "&#9;"})
    new_attr = f' version="{quoted}"'.encode()
    if _VERSION_ATTR.search(attrs):
        attrs = _VERSION_ATTR.sub(lambda _: new_attr, attrs, count=1)
    else:
        attrs = attrs + new_attr
    start, end = match.span(2)
    return xml[:start] + attrs + xml[end:]

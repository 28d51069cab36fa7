"""The web app's own and vendored assets (app/web/ui/static), served by the app itself: no CDN.

URLs carry a fingerprint of the file (`?v=<sha256 prefix>`), so responses may be cached for a
year; each file is gzipped once, in memory, at first use.
"""
from __future__ import annotations

import gzip
import hashlib
import mimetypes
from functools import cache
from pathlib import Path

from flask import Flask, Response, abort, request, url_for

from app.web.ui.blueprint import ui
from app.web.ui.session import public

STATIC = Path(__file__).parent / "static"
YEAR = 365 * 24 * 3600


@cache
def _asset(name: str) -> tuple[bytes, bytes, str, str]:
    """(bytes, gzipped bytes, content type, fingerprint) of a file under static/."""
    path = (STATIC / name).resolve()
    if STATIC.resolve() not in path.parents or not path.is_file():
        raise FileNotFoundError(name)
    data = path.read_bytes()
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if kind.startswith("text/") or kind.endswith("javascript"):
        kind += "; charset=utf-8"
    return data, gzip.compress(data, 9), kind, hashlib.sha256(data).hexdigest()[:12]


def asset_url(name: str) -> str:
    return url_for("ui.asset", name=name, v=_asset(name)[3])


@ui.get("/assets/<path:name>")
@public
def asset(name: str):
    try:
        data, packed, kind, fingerprint = _asset(name)
    except FileNotFoundError:
        abort(404)
    response = Response(data, content_type=kind)
    if "gzip" in request.headers.get("Accept-Encoding", "") and len(packed) < len(data):
        response.set_data(packed)
        response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    response.set_etag(fingerprint)
    fresh = request.args.get("v") == fingerprint
    response.headers["Cache-Control"] = (f"public, max-age={YEAR}, immutable" if fresh
                                         else "public, max-age=300")
    return response.make_conditional(request)


def init_app(app: Flask) -> None:
    if app.debug:
        _asset.cache_clear()
    app.jinja_env.globals["asset_url"] = asset_url

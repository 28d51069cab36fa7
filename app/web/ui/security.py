"""The web app's guards: CSRF on every state-changing request, and the headers every page
carries (a Content-Security-Policy with no inline script or style, no framing, no sniffing);
HTML is gzipped for phones on slow links."""
from __future__ import annotations

import gzip

from flask import Flask, Response, request

from app.extensions import csrf
from app.web.ui.blueprint import ui
from app.web.ui.session import require_sign_in

CSP = "; ".join([
    "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
    "font-src 'self'", "connect-src 'self'", "object-src 'none'", "base-uri 'none'",
    "form-action 'self'", "frame-ancestors 'none'",
])
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
GZIP_MIN_BYTES = 600  # below this gzip's header costs more than it saves
UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
COMPRESSIBLE = ("text/html", "text/css", "application/javascript", "image/svg+xml",
                "application/json")


def init_app(app: Flask) -> None:
    """Nothing to configure: the guards are the blueprint's own hooks below."""


@ui.before_request
def _guard():
    # CSRF before the sign-in check, so a forged POST never learns whether a session exists.
    if request.method in UNSAFE_METHODS:
        csrf.protect()
    return require_sign_in()


@ui.after_request
def _headers(response: Response) -> Response:
    framable = "frame-ancestors 'none'" not in response.headers.get(
        "Content-Security-Policy", CSP)
    for name, value in HEADERS.items():
        if name == "X-Frame-Options" and framable:
            continue  # a page's own CSP names who may frame it (public dashboards)
        response.headers.setdefault(name, value)
    if response.mimetype == "text/html":
        response.headers.setdefault("Cache-Control", "no-store")
    return gzip_response(response)


def gzip_response(response: Response, level: int = 6) -> Response:
    """Compress a buffered text response when the client accepts gzip."""
    if (response.direct_passthrough or response.is_streamed
            or response.status_code < 200 or response.status_code in (204, 304)
            or "Content-Encoding" in response.headers
            or response.mimetype not in COMPRESSIBLE
            or "gzip" not in request.headers.get("Accept-Encoding", "")):
        return response
    body = response.get_data()
    if len(body) < GZIP_MIN_BYTES:
        return response
    response.set_data(gzip.compress(body, level))
    response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    return response

"""Which proxies to believe about the client: TRUSTED_PROXY is how many sit in front of us."""
from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix


def trust_proxies(app: Flask) -> None:
    """With TRUSTED_PROXY = n > 0, take the client address from the n-th last X-Forwarded-For
    entry and the scheme from X-Forwarded-Proto (Werkzeug's ProxyFix); with 0, believe neither,
    so a client cannot pick the address its failed logins count against. The host stays the
    request's own: URLs we hand out come from PUBLIC_URL."""
    hops = int(app.config.get("TRUSTED_PROXY") or 0)
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)

"""Blueprints, one per surface, registered in one place."""
from __future__ import annotations

from flask import Flask, g
from flask.sessions import SecureCookieSessionInterface


class _CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, without building the signer for a request that carries
    no session cookie (every Collect and API request): an empty session, as Flask gives."""

    def open_session(self, app, request):
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)


def register_blueprints(app: Flask) -> None:
    from app.web import validation

    app.session_interface = _CookieSessions()

    validation.init_app(app)  # URL converters first: rules are compiled as they are added

    @app.url_value_preprocessor
    def _fresh_request_globals(_endpoint, _values):
        # Runs before the blueprints' preprocessors. `g` lives on the app context, which a test
        # that holds one open shares across requests: start every request without leftovers.
        for name in list(g):
            g.pop(name)

    from app.web.api import api
    from app.web.health import health
    from app.web.openapi import openapi
    from app.web.webhooks import webhooks

    app.register_blueprint(health)
    app.register_blueprint(openapi)
    app.register_blueprint(webhooks)
    app.register_blueprint(api, url_prefix="/v1")
    # The same API with a token in the path, as Central configures Collect by QR code.
    app.register_blueprint(api, url_prefix="/v1/key/<key_token>", name="key")

    from app.web import ui

    ui.init_app(app)

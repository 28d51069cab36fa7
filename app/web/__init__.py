"""Blueprints, one per surface, registered in one place."""
from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from app.web.api import api
    from app.web.health import health

    app.register_blueprint(health)
    app.register_blueprint(api, url_prefix="/v1")
    # The same API with a token in the path, as Central configures Collect by QR code.
    app.register_blueprint(api, url_prefix="/v1/key/<key_token>", name="key")

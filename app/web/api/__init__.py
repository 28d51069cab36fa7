"""The REST API under /v1, in ODK Central's dialect so pyodk and Central's tools work unchanged."""
from flask import Blueprint, g

api = Blueprint("api", __name__)


@api.url_value_preprocessor
def _take_key_token(_endpoint, values):
    """`/v1/key/{token}/...`: the token authenticates; views never see it."""
    if values and "key_token" in values:
        g.key_token = values.pop("key_token")


from app.web.api import (  # noqa: E402,F401  (routes register on import)
    app_users,
    audits,
    channels,
    dashboard,
    export_formats,
    exports,
    forms,
    indicators,
    openrosa,
    projects,
    public,
    sdg,
    sessions,
    submissions,
    users,
    webhooks_api,
)

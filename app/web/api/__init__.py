"""The REST API under /v1, in ODK Central's dialect so pyodk and Central's tools work unchanged.

Views register on `app.web.api.blueprint.api` (import it from there); importing this package
imports every view module, so all routes are on the blueprint.
"""
from app.web.api import (  # noqa: F401  (routes register on import)
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
    rights,
    sdg,
    sessions,
    sms_cost,
    submissions,
    sync_api,
    sync_links,
    users,
    webhooks_api,
)
from app.web.api.blueprint import api

__all__ = ["api"]

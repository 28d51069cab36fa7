"""The web app: server-rendered pages for people, beside the API.

Pages call the same services (app/services, app/exports) and the same permission checks
(app.web.access, app.web.auth.require) as the REST API; no rule is written twice. A page is a
view on the `ui` blueprint in one module of app/web/ui/pages/, rendering a template that
extends "ui/base.html" (see app/web/ui/README.md for how to add one).
"""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Translations, CSRF, cookie settings and the blueprint with its pages."""
    from app.extensions import babel, csrf
    from app.web.ui import assets, i18n, nav, security, session

    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)  # checked by the ui blueprint only
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # valid as long as the session
    session.configure_cookies(app)
    babel.init_app(app, locale_selector=i18n.select_locale,
                   default_translation_directories=str(i18n.TRANSLATIONS))
    csrf.init_app(app)
    i18n.init_app(app)
    assets.init_app(app)
    security.init_app(app)
    nav.init_app(app)
    app.jinja_env.globals["has_page"] = lambda endpoint: endpoint in app.view_functions

    from app.web.ui import errors, pages  # noqa: F401  (routes register on import)
    from app.web.ui.blueprint import ui

    app.register_blueprint(ui)

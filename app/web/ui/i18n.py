"""The web app's languages: English, Kiswahili, Spanish and Nepali (Flask-Babel catalogues in
app/web/ui/translations, compiled .mo files committed beside their .po; tests check they
match). The user's pick (kept in the session cookie) wins; the browser's Accept-Language is
the default. Dates and numbers are formatted for the language."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from flask import Flask, g, request, session
from flask_babel import format_datetime, format_decimal, get_locale
from flask_babel import gettext as _

from app.models.forms import FormState
from forms.review import ReviewState

TRANSLATIONS = Path(__file__).parent / "translations"
# code -> the language's own name (what a user looks for in the picker)
LANGUAGES = {"en": "English", "sw": "Kiswahili", "es": "Español", "ne": "नेपाली"}


def select_locale() -> str:
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(list(LANGUAGES), default="en")


def current_language() -> str:
    locale = get_locale()
    return locale.language if locale is not None else "en"


def state_names() -> dict[str, str]:
    """Review and form states in the UI's language, translated once per request (a table of
    submissions shows one badge per row)."""
    if "state_names" not in g:
        g.state_names = {
            ReviewState.RECEIVED: _("Received"), ReviewState.HAS_ISSUES: _("Has issues"),
            ReviewState.EDITED: _("Edited"), ReviewState.APPROVED: _("Approved"),
            ReviewState.REJECTED: _("Rejected"), FormState.OPEN: _("Open"),
            FormState.CLOSING: _("Closing"), FormState.CLOSED: _("Closed"), "draft": _("Draft")}
    return g.state_names


def when(value: datetime | None, fmt: str = "medium") -> str:
    """A timestamp in the UI's language (UTC)."""
    return "" if value is None else format_datetime(value, fmt)


def number(value: float | int | None) -> str:
    return "" if value is None else format_decimal(value)


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(languages=LANGUAGES, current_language=current_language,
                                 state_names=state_names)
    app.jinja_env.filters.update(when=when, number=number)
    app.jinja_env.policies["ext.i18n.trimmed"] = True

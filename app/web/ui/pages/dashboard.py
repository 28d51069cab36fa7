"""The SDG dashboard (issue 11) in the web app: the project's own dashboard, its printable
report, the indicators' downloads, and public dashboards at /p/{slug}.

Everything shown comes from `app.indicators.dashboard.page` (the same series code as the API):
viewers and public pages get `restricted=True`, i.e. the suppressed fixed tables and no
points; managers and admins see every number (`app.web.api.indicators.full_access`, the
API's own rule). Charts are Vega-Lite specs built on the server, drawn in the page by the
vendored vega-embed (static/dashboard.js); each chart's table is printed under it, which is
also what a reader without JavaScript gets.
"""
from __future__ import annotations

from typing import Any

from flask import Response, current_app, g, render_template, request
from flask_babel import force_locale, format_decimal, format_percent
from flask_babel import gettext as _
from sqlalchemy import select

from app import problems
from app.extensions import db
from app.indicators import binding, dashboard, overview, public, series, service
from app.models import Form, FormVersion, Indicator, Project
from app.queries import form_models
from app.web.access import project_or_404
from app.web.api import indicators as indicator_api
from app.web.ui import formtext
from app.web.ui.blueprint import ui
from app.web.ui.i18n import LANGUAGES, current_language
from app.web.ui.nav import project_tab
from app.web.ui.security import CSP
from app.web.ui.session import public as public_page

BASE = "/projects/<int:project_id>/dashboard"
project_tab("dashboard", lambda: _("Dashboard"), "ui.dashboard", verb="indicator.read",
            order=50)


def chart_labels() -> dict[str, str]:
    """The words charts and tables use, in the UI's language."""
    return {"ours": _("Citizen data"), "official": _("Official series"),
            "period": _("Period"), "value": _("Value"),
            # The level as a placeholder: "95% i..." reads to Babel as a "% i" placeholder.
            "low": _("%(level)s%% interval, low", level=95),
            "high": _("%(level)s%% interval, high", level=95), "missing": _("Not answered"),
            "suppressed": _("hidden (small number)"), "area": _("Area"), "sex": _("Sex"),
            "age": _("Age group"), "channel": _("Channel"), "goals": _("The 17 goals"),
            "goal": _("Goal"), "form": _("Mapped by the forms"),
            "model": _("Tagged by the classifier"), "texts": _("Tagged free-text answers"),
            "count": _("Submissions")}


def _channel_names() -> dict[str, str]:
    return {"collect": _("ODK Collect"), "sms": _("SMS"), "ussd": _("USSD"),
            "web": _("Web form"), "api": _("API"), "whatsapp": _("WhatsApp"),
            "sync": _("Field office")}


def _current_versions(indicators: list[Indicator]) -> dict[int, Any]:
    """The current version (id, sha256, disaggregation) of each indicator's form, by form id,
    in one query for the whole page."""
    return {row.form_id: row for row in db.session.execute(
        select(Form.id.label("form_id"), FormVersion.id, FormVersion.sha256,
               FormVersion.disaggregation)
        .join(Form, Form.current_version_id == FormVersion.id)
        .where(Form.id.in_({i.form_id for i in indicators})))}


def _words(indicator: Indicator, version: Any, lang: str
           ) -> tuple[dict[str, str], dict[str, dict]]:
    """A dimension's title ({"water_source": "Source of water"}) and its values' words
    ({"area": {"kisumu": "Kisumu"}}) from the form's current version (`version`), in the
    form language matching the UI's."""
    names: dict[str, dict[str, str]] = {"channel": _channel_names()}
    titles: dict[str, str] = {}
    if version is None:
        return titles, names
    bound = binding.bound_for(indicator.definition, version.sha256,
                              form_models.xml_of(version.id), version.disaggregation or {})
    if bound is None:
        return titles, names
    model = form_models.model(version.sha256, form_models.xml_of(version.id))
    language = formtext.form_language(model, lang)
    by_path = {f.path: f for f in model.fields}
    for dim in bound.dimensions:
        found = by_path.get(dim.path or "")
        if found is None:
            continue
        titles[dim.dimension.name] = formtext.field_label(found, language)
        if found.choices:
            names[dim.dimension.name] = {c.name: formtext.choice_label(c, language)
                                         for c in found.choices}
    return titles, names


def _shown(value: Any, kind: str) -> str:
    """A value as a reader reads it: proportions in per cent, in the UI's number format."""
    if value is None or value == "":
        return ""
    if not isinstance(value, int | float):
        return str(value)
    if kind == "proportion":
        return format_percent(value, "#,##0.0%")
    return format_decimal(value, "#,##0.##")


def _formatted(view: dashboard.IndicatorView) -> None:
    """Table cells in the UI's number format: value, n, low, high are the last four."""
    kind = view.spec.kind
    for chart in view.charts:
        for row in chart.rows:
            head = len(row) - 4
            row[head] = _shown(row[head], kind)
            row[head + 1] = _shown(row[head + 1], "count")
            row[head + 2] = _shown(row[head + 2], kind)
            row[head + 3] = _shown(row[head + 3], kind)


def _latest(view: dashboard.IndicatorView) -> dict[str, Any] | None:
    point = view.latest
    if point is None:
        return None
    if point.get("suppressed"):
        return {"period": point["period"], "suppressed": True}
    kind = view.spec.kind
    return {"period": point["period"], "suppressed": False,
            "value": _shown(point["value"], kind), "n": _shown(point["n"], "count"),
            "low": _shown(point.get("low"), kind), "high": _shown(point.get("high"), kind)}


def _views(project: Project, indicators: list[Indicator], *, restricted: bool,
           lang: str) -> list[dict[str, Any]]:
    labels = chart_labels()
    boundaries = overview.boundaries(project.id)
    versions = _current_versions(indicators)
    official = dashboard.official_series(indicators)
    out = []
    for indicator in indicators:
        titles, names = _words(indicator, versions.get(indicator.form_id), lang)
        for standard in ("sex", "age", "area", "channel"):
            titles.pop(standard, None)
        view = dashboard.indicator_view(
            project, indicator, lang=lang, labels={**titles, **labels}, restricted=restricted,
            boundaries=boundaries, names=names, official=official.get(indicator.id),
            cache_seconds=current_app.config.get("INDICATOR_CACHE_SECONDS", 0))
        _formatted(view)
        out.append({"view": view, "latest": _latest(view), "kind": view.spec.kind})
    return out


def _goals(project_id: int, lang: str) -> dashboard.Chart:
    chart = dashboard.goals_view(project_id, lang=lang, labels=chart_labels())
    chart.rows = [[row[0], *(_shown(v, "count") for v in row[1:])] for row in chart.rows]
    return chart


def _indicators(project_id: int) -> list[Indicator]:
    return [indicator for indicator, _form in service.list_indicators(project_id)]


def _page(project_id: int, template: str):
    project = project_or_404(project_id, "indicator.read")
    restricted = not indicator_api.full_access(project_id)
    can_manage = g.principal.can("indicator.manage", project_id)
    lang = current_language()
    quotes: dict[int, list] = {}
    for quote in overview.quotes(project_id):
        quotes.setdefault(quote.goal, []).append(quote)
    goals = _goals(project_id, lang)
    return render_template(
        template, project=project, restricted=restricted, goals=goals,
        goal_titles={n: formtext.sdg_title(str(n), lang) for n in range(1, 18)},
        quotes=quotes, views=_views(project, _indicators(project_id), restricted=restricted,
                                    lang=lang),
        threshold=series.threshold(project.settings), can_manage=can_manage,
        boards=public.list_boards(project_id) if can_manage else [])


@ui.get(BASE, endpoint="dashboard")
def dashboard_page(project_id: int):
    return _page(project_id, "ui/dashboard.html")


@ui.get(f"{BASE}/report")
def dashboard_report(project_id: int):
    """One page per indicator, for a shadow report (print stylesheet)."""
    return _page(project_id, "ui/dashboard_report.html")


# Downloads through the web session: the API's own views, with the signed-in user as the
# caller (g.principal), so permissions and suppression are the API's.
DOWNLOAD = f"{BASE}/indicators/<int:indicator_id>"


@ui.get(f"{DOWNLOAD}/series.csv")
def dashboard_open_sdg(project_id: int, indicator_id: int):
    return indicator_api.indicator_series_csv(project_id, indicator_id)


@ui.get(f"{DOWNLOAD}/series.meta.yml")
def dashboard_open_sdg_meta(project_id: int, indicator_id: int):
    return indicator_api.indicator_series_meta(project_id, indicator_id)


@ui.get(f"{DOWNLOAD}/series.sdmx.csv")
def dashboard_sdmx(project_id: int, indicator_id: int):
    return indicator_api.indicator_series_sdmx(project_id, indicator_id)


def frame_ancestors(origins: list[str]) -> str:
    """CSP frame-ancestors for a public dashboard: its allowed origins, or 'none'."""
    return " ".join(origins) if origins else "'none'"


@ui.get("/p/<slug>")
@public_page
def public_dashboard(slug: str):
    """A published dashboard: no sign-in, read-only, the suppressed numbers a viewer gets,
    no free text, no quotes, no points (a map only over the project's area boundaries)."""
    board = public.by_slug(slug)
    if board is None:
        raise problems.not_found()
    project = db.session.get(Project, board.project_id)
    if project is None or project.deleted_at is not None:
        raise problems.not_found()
    chosen = {i.id: i for i in _indicators(project.id) if i.id in (board.indicator_ids or [])}
    indicators = [chosen[i] for i in board.indicator_ids or [] if i in chosen]
    # ?lang= as well as the picker: inside another site's <iframe> the picker's POST has no
    # cookie (SameSite=Lax), so the page links its languages.
    asked = request.args.get("lang")
    with force_locale(asked if asked in LANGUAGES else current_language()):
        html = render_template(
            "ui/dashboard_public.html", board=board, project=project,
            views=_views(project, indicators, restricted=True, lang=current_language()),
            threshold=series.threshold(project.settings))
    response = Response(html, mimetype="text/html")
    # Framing by the allowed origins only; security's hook leaves X-Frame-Options off when
    # the CSP names who may frame (X-Frame-Options cannot name several origins).
    response.headers["Content-Security-Policy"] = CSP.replace(
        "frame-ancestors 'none'", f"frame-ancestors {frame_ancestors(board.allowed_origins or [])}")
    return response

"""Everything a dashboard page shows, assembled once: goals, and per indicator its latest
value with n and interval, its trend, a breakdown per dimension, a map, the official series
beside it, and the table under each chart. The web page only renders this.

`restricted` pages (viewers, public dashboards) read the suppressed fixed tables only and
never carry free text or points: the map is a choropleth over the project's boundaries, or
nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.extensions import db
from app.indicators import charts, overview, series, service
from app.models import Indicator, OfficialSeries, Project
from forms.indicators import IndicatorSpec
from forms.sdg.catalogue import describe


@dataclass
class Chart:
    """One chart: its Vega-Lite spec, and the rows of the table printed under it."""

    key: str
    title: str
    spec: dict[str, Any]
    columns: list[str]
    rows: list[list[Any]]
    # False when it would draw no mark (every number suppressed, or none yet): the page then
    # shows the table alone, not an empty frame.
    drawable: bool = True


@dataclass
class IndicatorView:
    indicator: Indicator
    spec: IndicatorSpec
    label: str
    sdg_title: str
    latest: dict[str, Any] | None
    charts: list[Chart] = field(default_factory=list)
    official_source: str | None = None


def indicator_label(spec: IndicatorSpec, lang: str) -> str:
    """The indicator's label in `lang`, else English, else any, else its code."""
    return (spec.labels.get(lang) or spec.labels.get("en") or spec.labels.get("")
            or next(iter(spec.labels.values()), spec.code))


def _series(project: Project, indicator: Indicator, spec: IndicatorSpec, by: tuple[str, ...],
            restricted: bool, cache_seconds: float, tables: dict | None = None) -> list[dict]:
    """The points of one query. Restricted pages pass the indicator's published (suppressed)
    tables, read once per page: what `series.series` reads for a restricted caller."""
    query = series.Query(by, spec.period_unit, None, None, None)
    if restricted and tables is not None:
        return series.select_points(tables, spec, query)
    return series.series(indicator, spec, query, restricted=restricted,
                         k=series.threshold(project.settings),
                         cache_seconds=cache_seconds)["points"]


def _table(points: list[dict], keys: list[str], labels: dict[str, str],
           names: dict[str, dict[str, str]] | None = None) -> tuple[list, list]:
    names = names or {}
    columns = [labels.get(k, k) for k in keys] + [labels["value"], "n", labels["low"],
                                                  labels["high"]]
    rows = []
    for p in points:
        head = [names.get(k, {}).get(p[k], p[k]) if p.get(k) is not None
                else labels["missing"] for k in keys]
        if p["suppressed"]:
            rows.append(head + [labels["suppressed"], "", "", ""])
        else:
            rows.append(head + [p["value"], p["n"], p["low"], p["high"]])
    return columns, rows


def official_series(indicators: list[Indicator]) -> dict[int, OfficialSeries]:
    """The official series of these indicators (those that have one), in one query."""
    if not indicators:
        return {}
    return {o.indicator_id: o for o in db.session.query(OfficialSeries).filter(
        OfficialSeries.indicator_id.in_([i.id for i in indicators]))}


def indicator_view(project: Project, indicator: Indicator, *, lang: str,
                   labels: dict[str, str], restricted: bool, cache_seconds: float = 0,
                   boundaries: Any = None, names: dict[str, dict[str, str]] | None = None,
                   official: OfficialSeries | None = None) -> IndicatorView:
    """One indicator's block. `names` gives dimension values their words in the page's
    language ({"sex": {"female": "Mwanamke"}}); `labels` the page's words, and a dimension's
    title under its name. `official`: its official series, if it has one (`official_series`
    reads a page's at once)."""
    names = names or {}
    spec = service.spec_of(indicator)
    label = indicator_label(spec, lang)
    tables = series.published_tables(indicator, spec, series.threshold(project.settings),
                                     cache_seconds) if restricted else None
    trend_points = _series(project, indicator, spec, (), restricted, cache_seconds, tables)
    headline = [r for r in (official.rows if official else [])
                if not r["disaggregations"] and not r["geoCode"] and r["value"] is not None]
    view = IndicatorView(indicator, spec, label, describe(spec.sdg, lang),
                         trend_points[-1] if trend_points else None,
                         official_source=official.source if official else None)
    scale = 100.0 if spec.kind == "proportion" else 1.0
    official_points = [{"period": r["period"], "value": r["value"] / scale} for r in headline]
    columns, rows = _table(trend_points, ["period"], labels)
    view.charts.append(Chart("trend", label, charts.trend(
        trend_points, kind=spec.kind, title=label, labels=labels, official=official_points),
        columns, rows, drawable=bool(charts.shown(trend_points) or official_points)))
    latest_period = view.latest["period"] if view.latest else None
    for dim in spec.dimensions:
        points = [p for p in _series(project, indicator, spec, (dim.name,), restricted,
                                     cache_seconds, tables) if p["period"] == latest_period]
        title = f"{label} — {labels.get(dim.name, dim.name)} ({latest_period})"
        columns, rows = _table(points, [dim.name], labels, names)
        view.charts.append(Chart(f"by-{dim.name}", title, charts.breakdown(
            points, dim.name, kind=spec.kind, title=title, labels=labels,
            names=names.get(dim.name)), columns, rows, drawable=bool(charts.shown(points))))
        if dim.name == "area" and (boundaries is not None or not restricted):
            view.charts.append(_map(project, indicator, spec, points, title, labels,
                                    restricted, boundaries, names))
    return view


def _map(project: Project, indicator: Indicator, spec: IndicatorSpec, points: list[dict],
         title: str, labels: dict[str, str], restricted: bool, boundaries: Any,
         names: dict[str, dict[str, str]] | None = None) -> Chart:
    locations = None
    if boundaries is None and not restricted:
        from sqlalchemy import select

        from app.models import IndicatorContribution

        locations = [{"lat": lat, "lon": lon, "value": num} for lat, lon, num in
                     db.session.execute(select(IndicatorContribution.lat,
                                               IndicatorContribution.lon,
                                               IndicatorContribution.num)
                                        .where(IndicatorContribution.indicator_id
                                               == indicator.id,
                                               IndicatorContribution.lat.is_not(None))
                                        .limit(5000))]
    spec_json = charts.area_map(points, kind=spec.kind, title=title, labels=labels,
                                boundaries=boundaries.geojson if boundaries else None,
                                match=boundaries.match if boundaries else None,
                                locations=locations)
    columns, rows = _table(points, ["area"], labels, names)
    return Chart("map", title, spec_json, columns, rows,
                 drawable=bool(charts.shown(points) or locations))


def goals_view(project_id: int, *, lang: str, labels: dict[str, str]) -> Chart:
    """The 17 goals, mapped and tagged apart, with titles in the page's language."""
    counts = overview.goal_counts(project_id)
    rows = [{**c, "label": f"{c['goal']}. {describe(str(c['goal']), lang)}"} for c in counts]
    spec = charts.goals(rows, title=labels["goals"], labels=labels)
    return Chart("goals", labels["goals"], spec,
                 [labels["goal"], labels["form"], labels["model"], labels["texts"]],
                 [[r["label"], r["form"], r["model"], r["texts"]] for r in rows])


def page(project: Project, indicators: list[Indicator], *, lang: str, labels: dict[str, str],
         restricted: bool, cache_seconds: float = 0, with_goals: bool = True
         ) -> dict[str, Any]:
    """The whole page's data: {"goals": Chart | None, "indicators": [IndicatorView]}.
    (Approved quotes come from `overview.quotes`, on the project's own pages only.)"""
    boundaries = overview.boundaries(project.id)
    official = official_series(indicators)
    return {
        "goals": goals_view(project.id, lang=lang, labels=labels) if with_goals else None,
        "indicators": [indicator_view(project, i, lang=lang, labels=labels,
                                      restricted=restricted, cache_seconds=cache_seconds,
                                      boundaries=boundaries, official=official.get(i.id))
                       for i in indicators],
    }

"""An indicator's series: cells summed with SQL GROUP BY, estimates and intervals per point,
and, for public and viewer-level callers, small-cell suppression over the fixed tables.

Full access (managers, admins) may group by any of the indicator's dimensions and any
period. Restricted callers see the fixed family of tables suppression protects together
(see `suppression`): the indicator's own period, at most two dimensions (an `area=` filter
counts as one); every point is read from the suppressed tables, never computed apart.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from app import problems
from app.extensions import db
from app.indicators import periods, suppression
from app.indicators.stats import estimate, rounded
from app.models import DIMENSION_COLUMNS, Indicator, IndicatorCell
from forms.indicators import PERIOD_UNITS, IndicatorSpec

DEFAULT_THRESHOLD = 5
_cache: dict[tuple, tuple[float, Any]] = {}
_cache_lock = threading.Lock()


@dataclass(frozen=True)
class Query:
    """What a caller asked for, checked against the indicator."""

    by: tuple[str, ...]
    unit: str
    start: int | None  # first month (yyyymm) of the first period asked for
    end: int | None
    area: str | None


def parse_query(spec: IndicatorSpec, args: dict[str, str], *, restricted: bool) -> Query:
    """`by`, `period`, `from`, `to`, `area` from a query string; 400 naming what is wrong."""
    names = [d.name for d in spec.dimensions]
    by = tuple(dict.fromkeys(b.strip() for b in (args.get("by") or "").split(",") if b.strip()))
    unknown = [b for b in by if b not in names]
    if unknown:
        raise problems.unexpected_value("by", ",".join(unknown),
                                        f"the indicator disaggregates by {', '.join(names)}")
    unit = args.get("period") or spec.period_unit
    if unit not in PERIOD_UNITS:
        raise problems.unexpected_value("period", unit, f"must be one of "
                                        f"{', '.join(PERIOD_UNITS)}")
    area = args.get("area") or None
    if area is not None and "area" not in names:
        raise problems.unexpected_value("area", area, "the indicator has no area dimension")
    if restricted:
        if unit != spec.period_unit:
            raise problems.unexpected_value(
                "period", unit, f"public numbers come by {spec.period_unit} only")
        wanted = set(by) | ({"area"} if area else set())
        if len(wanted) > suppression.MAX_DIMENSIONS_PUBLISHED:
            raise problems.unexpected_value(
                "by", ",".join(by), "public numbers break down by at most "
                f"{suppression.MAX_DIMENSIONS_PUBLISHED} dimensions (area= counts as one)")
    try:
        start = periods.bound(args.get("from"), unit, end=False)
        end = periods.bound(args.get("to"), unit, end=True)
    except periods.BadPeriod as error:
        raise problems.unexpected_value("from/to", args.get("from") or args.get("to"),
                                        str(error)) from None
    return Query(by, unit, start, end, area)


def threshold(settings: dict | None) -> int:
    """The project's small-cell threshold k (setting smallCellThreshold, default 5)."""
    value = (settings or {}).get("smallCellThreshold", DEFAULT_THRESHOLD)
    return max(1, int(value))


def series(indicator: Indicator, spec: IndicatorSpec, query: Query, *, restricted: bool,
           k: int, cache_seconds: float = 0) -> dict[str, Any]:
    """{"period", "by", "points": [...], "suppression": {...}} for one indicator."""
    if restricted:
        points = _restricted(indicator, spec, query, k, cache_seconds)
    else:
        points = _full(indicator, spec, query)
    return {"period": query.unit, "by": list(query.by), "points": points,
            "suppression": {"applied": restricted, "threshold": k if restricted else None}}


def _dimension_column(spec: IndicatorSpec, name: str):  # noqa: ANN202
    index = [d.name for d in spec.dimensions].index(name)
    return getattr(IndicatorCell, DIMENSION_COLUMNS[index])


def _where(indicator: Indicator, spec: IndicatorSpec, query: Query) -> list:
    where = [IndicatorCell.indicator_id == indicator.id,
             IndicatorCell.review_state.in_(spec.review_states)]
    if query.start is not None:
        where.append(IndicatorCell.month >= query.start)
    if query.end is not None:
        where.append(IndicatorCell.month <= query.end)
    return where


def _full(indicator: Indicator, spec: IndicatorSpec, query: Query) -> list[dict[str, Any]]:
    key = periods.key_sql(IndicatorCell.month, query.unit).label("p")
    dims = [_dimension_column(spec, name) for name in query.by]
    where = _where(indicator, spec, query)
    if query.area is not None:
        where.append(_dimension_column(spec, "area") == query.area)
    rows = db.session.execute(
        select(key, *dims, func.sum(IndicatorCell.n), func.sum(IndicatorCell.num),
               func.sum(IndicatorCell.num2))
        .where(*where).group_by(key, *dims)
        .having(func.sum(IndicatorCell.n) > 0).order_by(key, *dims))
    return [_point(spec, query, row[0], row[1:1 + len(dims)], float(row[-3]), float(row[-2]),
                   float(row[-1])) for row in rows]


def _point(spec: IndicatorSpec, query: Query, key: int, values: tuple, n: float, num: float,
           num2: float) -> dict[str, Any]:
    point: dict[str, Any] = {"period": periods.label(int(key), query.unit)}
    point.update({name: (v or None) for name, v in zip(query.by, values, strict=True)})
    if query.area is not None:
        point["area"] = query.area
    shown = estimate(spec.kind, n, num, num2)
    point.update({"value": shown.value, "numerator": rounded(num), "denominator": int(n),
                  "n": int(n), "low": shown.low, "high": shown.high, "suppressed": False})
    return point


def _suppressed_point(query: Query, key: int, values: tuple) -> dict[str, Any]:
    point: dict[str, Any] = {"period": periods.label(int(key), query.unit)}
    point.update({name: (v or None) for name, v in zip(query.by, values, strict=True)})
    if query.area is not None:
        point["area"] = query.area
    point.update({"value": None, "numerator": None, "denominator": None, "n": None,
                  "low": None, "high": None, "suppressed": True})
    return point


# --- restricted: the fixed tables, suppressed together ----------------------------------------

# Measures of a cross-classification cell: n, num, num2, and the protected counts
# "yes" (numerator holds) and "no" (it does not); a mean protects n.
_N, _NUM, _NUM2, _YES, _NO = range(5)


def protected_measures(kind: str) -> tuple[int, ...]:
    return (_N,) if kind == "mean" else (_YES, _NO)


def published_tables(indicator: Indicator, spec: IndicatorSpec, k: int,
                     cache_seconds: float = 0) -> dict[int, tuple[dict, set]]:
    """{period key: (cells, suppressed cell ids)} of the indicator's own period unit, over
    every period (the same for every restricted query; cached briefly per process)."""
    cache_key = (indicator.id, indicator.revision, k, spec.period_unit, spec.review_states,
                 tuple(d.name for d in spec.dimensions))
    now = time.monotonic()
    if cache_seconds > 0:
        with _cache_lock:
            hit = _cache.get(cache_key)
        if hit is not None and now - hit[0] < cache_seconds:
            return hit[1]
    width = len(spec.dimensions)
    key = periods.key_sql(IndicatorCell.month, spec.period_unit).label("p")
    dims = [getattr(IndicatorCell, DIMENSION_COLUMNS[i]) for i in range(width)]
    rows = db.session.execute(
        select(key, *dims, func.sum(IndicatorCell.n), func.sum(IndicatorCell.num),
               func.sum(IndicatorCell.num2))
        .where(IndicatorCell.indicator_id == indicator.id,
               IndicatorCell.review_state.in_(spec.review_states))
        .group_by(key, *dims).having(func.sum(IndicatorCell.n) > 0))
    finest: dict[int, dict[tuple, tuple]] = {}
    for row in rows:
        n, num, num2 = int(row[-3]), float(row[-2]), float(row[-1])
        yes = int(round(num)) if spec.kind != "mean" else 0
        values = (n, num, num2, yes, n - yes if spec.kind != "mean" else 0)
        finest.setdefault(int(row[0]), {})[tuple(row[1:1 + width])] = values
    tables = suppression.family(width)
    out = {period: suppression.suppress(cells, tables, protected_measures(spec.kind), k)
           for period, cells in finest.items()}
    if cache_seconds > 0:
        with _cache_lock:
            _cache[cache_key] = (now, out)
            for stale in [c for c, (at, _) in _cache.items() if now - at > cache_seconds]:
                _cache.pop(stale, None)
    return out


def _restricted(indicator: Indicator, spec: IndicatorSpec, query: Query, k: int,
                cache_seconds: float) -> list[dict[str, Any]]:
    return select_points(published_tables(indicator, spec, k, cache_seconds), spec, query)


def select_points(tables: dict[int, tuple[dict, set]], spec: IndicatorSpec, query: Query
                  ) -> list[dict[str, Any]]:
    """The points a restricted query reads: cells of one fixed table (its dimensions are
    `by` plus area when filtered), in whole periods, as published or suppressed."""
    names = [d.name for d in spec.dimensions]
    wanted = tuple(sorted(names.index(n) for n in
                          set(query.by) | ({"area"} if query.area is not None else set())))
    area_index = names.index("area") if query.area is not None else None
    points = []
    for period, (cells, hidden) in sorted(tables.items()):
        first, last = periods.months(period, query.unit)
        if (query.start is not None and first < query.start) or \
                (query.end is not None and last > query.end):
            continue
        for (dims, values), measures in sorted(cells.items(), key=lambda c: repr(c[0])):
            if dims != wanted:
                continue
            by_dim = dict(zip(dims, values, strict=True))
            if area_index is not None and by_dim[area_index] != query.area:
                continue
            shown = tuple(by_dim[names.index(n)] for n in query.by)
            if (dims, values) in hidden:
                points.append(_suppressed_point(query, period, shown))
            else:
                points.append(_point(spec, query, period, shown, measures[_N],
                                     measures[_NUM], measures[_NUM2]))
    return points

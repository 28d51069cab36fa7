"""Suppression cannot be beaten by differencing: whatever a public or viewer-level caller
can fetch, no count below k can be derived or shown to be below k.

Hypothesis draws random cross-classifications (1-3 dimensions, sparse, small counts) over
two periods, and k. The test then asks every query a restricted caller may ask (every `by`
of at most two dimensions, with and without each `area=`, every from/to window) through
the same code the API uses, and hands everything published to an attacker: a linear
program over the unknown counts of the cross-classification (non-negative; each published
number an equation; each cell a query could show but does not, a zero). For every
suppressed cell whose "yes" or "no" count (or, for a mean, whose number of people) is 1 to
k-1, the attacker's largest feasible value must still be k or more.
"""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from app.indicators import periods, suppression
from app.indicators.series import Query, protected_measures, select_points
from forms.indicators import Dimension, IndicatorSpec

DIMENSIONS = ("sex", "area", "channel")
VALUES = {"sex": ("female", "male", ""), "area": ("kisumu", "kilifi", "nairobi"),
          "channel": ("collect", "sms")}
PERIODS = (20251, 20252)


@st.composite
def tables(draw):
    width = draw(st.integers(1, 3))
    names = DIMENSIONS[:width]
    kind = draw(st.sampled_from(["proportion", "count", "mean"]))
    k = draw(st.sampled_from([3, 5]))
    data = {}
    for period in PERIODS:
        cells = {}
        for key in itertools.product(*(VALUES[n] for n in names)):
            if draw(st.booleans()):
                continue
            n = draw(st.integers(0, 9))
            yes = draw(st.integers(0, n))
            if n:
                cells[key] = (yes, n)
        data[period] = cells
    return names, kind, k, data


def _published(names, kind, k, data):
    """Every point any restricted query returns, and the internal cells (the truth)."""
    spec = IndicatorSpec(code="x", sdg="5.2.2", kind=kind, numerator="1",
                         dimensions=tuple(Dimension(n) for n in names), period_unit="quarter")
    protected = protected_measures(kind)
    internal = {}
    for period, cells in data.items():
        finest = {key: (n, float(yes), float(yes), yes if kind != "mean" else 0,
                        n - yes if kind != "mean" else 0) for key, (yes, n) in cells.items()}
        if finest:
            internal[period] = suppression.suppress(
                finest, suppression.family(len(names)), protected, k)
    fetched = []
    bys = [b for size in range(3) for b in itertools.combinations(names, size)]
    windows = [(None, None), (None, 20251), (20252, None), (20251, 20252)]
    for by in bys:
        areas = [None]
        if "area" in names and len(set(by) | {"area"}) <= 2:
            areas += list(VALUES["area"])
        for area, (start, end) in itertools.product(areas, windows):
            query = Query(tuple(by), "quarter",
                          periods.months(start, "quarter")[0] if start else None,
                          periods.months(end, "quarter")[1] if end else None, area)
            for point in select_points(internal, spec, query):
                fetched.append((by, area, point))
    return internal, fetched


def _attack(names, kind, k, data, internal, fetched) -> list:
    """(period, cell, measure, value, attacker's max) for every under-protected count."""
    failures = []
    domains = [VALUES[n] for n in names]
    universe = list(itertools.product(*domains))
    for period in PERIODS:
        if period not in internal:
            continue
        label = periods.label(period, "quarter")
        cells, hidden = internal[period]
        shown = [(by, area, p) for by, area, p in fetched if p["period"] == label]
        measures = {"mean": [0]}.get(kind, [1, 2])  # 0: people; 1: yes; 2: no
        for measure in measures:
            rows, rhs = [], []
            seen_cells = set()
            for by, area, p in shown:
                fixed = {n: (p.get(n) or "") for n in by}
                if area is not None:
                    fixed["area"] = area
                seen_cells.add(tuple(sorted(fixed.items())))
                if p["suppressed"]:
                    continue
                n, yes = p["n"], round(p["numerator"]) if kind != "mean" else 0
                value = [n, yes, n - yes][measure]
                rows.append([1.0 if all(key[names.index(d)] == v for d, v in fixed.items())
                             else 0.0 for key in universe])
                rhs.append(value)
            # A cell of a table a query can show, not shown: it is zero.
            for size in range(3):
                for dims in itertools.combinations(names, size):
                    for values in itertools.product(*(VALUES[d] for d in dims)):
                        fixed = tuple(sorted(zip(dims, values, strict=True)))
                        if fixed in seen_cells:
                            continue
                        rows.append([1.0 if all(key[names.index(d)] == v for d, v in fixed)
                                     else 0.0 for key in universe])
                        rhs.append(0)
            for (dims, values) in hidden:
                truth = cells[(dims, values)]
                value = {0: truth[0], 1: truth[3], 2: truth[4]}[measure]
                if not 1 <= value < k:
                    continue
                target = np.array([-1.0 if all(key[d] == v for d, v in
                                               zip(dims, values, strict=True)) else 0.0
                                   for key in universe])
                if not rows:
                    continue
                result = linprog(target, A_eq=np.array(rows), b_eq=np.array(rhs),
                                 bounds=(0, None), method="highs")
                if result.status == 3:  # unbounded: nothing to learn
                    continue
                assert result.status == 0, result.message
                if -result.fun < k - 1e-6:
                    failures.append((label, dims, values, measure, value, -result.fun))
    return failures


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_no_count_below_k_can_be_derived_from_what_restricted_callers_fetch(drawn):
    names, kind, k, data = drawn
    internal, fetched = _published(names, kind, k, data)
    assert _attack(names, kind, k, data, internal, fetched) == []


@settings(max_examples=40, deadline=None)
@given(tables())
def test_every_published_count_is_zero_or_at_least_k(drawn):
    names, kind, k, data = drawn
    _, fetched = _published(names, kind, k, data)
    for _, _, point in fetched:
        if point["suppressed"]:
            assert point["value"] is None and point["n"] is None and point["low"] is None
            continue
        assert point["n"] >= k
        if kind != "mean":
            yes = round(point["numerator"])
            assert yes == 0 or yes >= k
            assert point["n"] - yes == 0 or point["n"] - yes >= k


def test_a_table_shows_the_same_cell_the_same_way_in_every_query():
    """Suppression is decided once per period over the fixed tables: the sex=female cell of
    a quarter is the same whether asked alone, in a window, or beside others."""
    data = {20251: {("female", "kisumu"): (2, 3), ("female", "kilifi"): (4, 9),
                    ("male", "kisumu"): (5, 8), ("male", "kilifi"): (6, 12)}}
    internal, fetched = _published(("sex", "area"), "proportion", 5, data)
    female = [p for by, area, p in fetched if by == ("sex",) and area is None
              and p["sex"] == "female"]
    assert len({str(p) for p in female}) == 1


@pytest.mark.parametrize("kind", ["proportion", "mean"])
def test_a_small_total_hides_with_its_cells(kind):
    data = {20251: {("female",): (1, 2), ("male",): (0, 1)}}
    _, fetched = _published(("sex",), kind, 5, data)
    assert fetched and all(p["suppressed"] for _, _, p in fetched)

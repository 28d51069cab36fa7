"""Every figure of the fixture's three indicators, computed by hand, on both databases.

Nine submissions through `sync.ingest` on three channels: one declined consent (no
answers), one skipped the harassment question, one skipped minutes, one is rejected, one is
edited (it moves from Q2 to Q1, from Kisumu to Kilifi, from "no" to "yes"), repeats carry
the children. The harassment indicator counts people who answered it (`!= ''`), by the
quarter of the interview date, in age groups cut at 18 and 35.
"""
from __future__ import annotations

import statistics
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.indicators.stats import t_quantile
from app.models import IndicatorCell, IndicatorContribution
from tests.app.indicators.conftest import instance, wilson_by_bisection

FIXTURE = {
    "s1": ("collect", dict(sex="female", age="22", county="kisumu", harassed="yes",
                           visit_date="2025-02-10", minutes="10"),
           [("girl", "no"), ("boy", "yes")]),
    "s2": ("sms", dict(sex="female", age="30", county="kisumu", harassed="no",
                       visit_date="2025-02-11", minutes="20"), [("girl", "yes")]),
    "s3": ("collect", dict(sex="male", age="40", county="kilifi", harassed="yes",
                           visit_date="2025-05-03", minutes="5.5"), []),
    "s4": ("ussd", dict(sex="female", age="17", county="kilifi", harassed="yes",
                        visit_date="2025-03-28"), [("girl", "no")]),
    "s5": ("collect", dict(consent="no"), []),
    "s6": ("collect", dict(sex="female", age="50", county="kisumu", visit_date="2025-04-02",
                           minutes="30"), []),
    "s7": ("collect", dict(sex="other", age="25", county="kisumu", harassed="yes",
                           visit_date="2025-01-05", minutes="12"), [("girl", "no")]),
    "s8": ("sms", dict(sex="male", age="19", county="kisumu", harassed="no",
                       visit_date="2025-06-01", minutes="8"), []),
    "s9": ("collect", dict(sex="male", age="60", county="kisumu", harassed="no",
                           visit_date="2025-01-20", minutes="15"), [("boy", "no")]),
}
EDIT_S8 = dict(sex="male", age="19", county="kilifi", harassed="yes", visit_date="2025-03-01",
               minutes="9")


@pytest.fixture
def loaded(safety, send, admin_headers, client):
    for name, (channel, answers, children) in FIXTURE.items():
        send(safety, instance(f"uuid:{name}", children=children, **answers), channel)
    send(safety, instance("uuid:s8-v2", deprecated="uuid:s8", **EDIT_S8), "sms")
    response = client.patch(f"/v1/projects/{safety.project_id}/forms/safety/submissions/uuid:s7",
                            json={"reviewState": "rejected"}, headers=admin_headers)
    assert response.status_code == 200, response.get_json()
    return safety


def _indicator_id(client, headers, project_id: int, code: str) -> int:
    found = client.get(f"/v1/projects/{project_id}/indicators", headers=headers).get_json()
    return next(i["id"] for i in found if i["code"] == code)


def _series(client, headers, form, code: str, **params) -> list[dict]:
    indicator_id = _indicator_id(client, headers, form.project_id, code)
    response = client.get(f"/v1/projects/{form.project_id}/indicators/{indicator_id}/series",
                          query_string=params, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["points"]


def _proportions(points: list[dict], *dims: str) -> dict:
    return {(p["period"], *(p[d] for d in dims)): (p["numerator"], p["n"]) for p in points}


def test_harassment_totals_by_quarter(loaded, client, admin_headers):
    points = _series(client, admin_headers, loaded, "harassed")
    assert _proportions(points) == {("2025-Q1",): (3, 5), ("2025-Q2",): (1, 1)}
    q1 = points[0]
    assert q1["value"] == pytest.approx(0.6)
    low, high = wilson_by_bisection(3, 5)
    assert (q1["low"], q1["high"]) == (pytest.approx(low, abs=1e-9), pytest.approx(high, abs=1e-9))
    assert q1["suppressed"] is False and q1["denominator"] == 5


@pytest.mark.parametrize(("by", "expected"), [
    ("sex", {("2025-Q1", "female"): (2, 3), ("2025-Q1", "male"): (1, 2),
             ("2025-Q2", "male"): (1, 1)}),
    ("age", {("2025-Q1", "<18"): (1, 1), ("2025-Q1", "18-34"): (2, 3),
             ("2025-Q1", "35+"): (0, 1), ("2025-Q2", "35+"): (1, 1)}),
    ("area", {("2025-Q1", "kisumu"): (1, 3), ("2025-Q1", "kilifi"): (2, 2),
              ("2025-Q2", "kilifi"): (1, 1)}),
    ("channel", {("2025-Q1", "collect"): (1, 2), ("2025-Q1", "sms"): (1, 2),
                 ("2025-Q1", "ussd"): (1, 1), ("2025-Q2", "collect"): (1, 1)}),
])
def test_harassment_by_one_dimension(loaded, client, admin_headers, by, expected):
    points = _series(client, admin_headers, loaded, "harassed", by=by)
    assert _proportions(points, by) == expected
    for p in points:
        low, high = wilson_by_bisection(p["numerator"], p["n"])
        assert p["value"] == pytest.approx(p["numerator"] / p["n"])
        assert (p["low"], p["high"]) == (pytest.approx(low, abs=1e-9),
                                         pytest.approx(high, abs=1e-9))


def test_harassment_by_sex_and_age_and_in_one_area(loaded, client, admin_headers):
    points = _series(client, admin_headers, loaded, "harassed", by="sex,age")
    assert _proportions(points, "sex", "age") == {
        ("2025-Q1", "female", "<18"): (1, 1), ("2025-Q1", "female", "18-34"): (1, 2),
        ("2025-Q1", "male", "18-34"): (1, 1), ("2025-Q1", "male", "35+"): (0, 1),
        ("2025-Q2", "male", "35+"): (1, 1)}
    kilifi = _series(client, admin_headers, loaded, "harassed", by="sex", area="kilifi")
    assert _proportions(kilifi, "sex") == {("2025-Q1", "female"): (1, 1),
                                           ("2025-Q1", "male"): (1, 1),
                                           ("2025-Q2", "male"): (1, 1)}


def test_harassment_by_year_and_window(loaded, client, admin_headers):
    assert _proportions(_series(client, admin_headers, loaded, "harassed", period="year")) \
        == {("2025",): (4, 6)}
    assert _proportions(_series(client, admin_headers, loaded, "harassed", period="month")) \
        == {("2025-02",): (1, 2), ("2025-03",): (2, 2), ("2025-01",): (0, 1),
            ("2025-05",): (1, 1)}
    # from/to take whole quarters: 2025-05 names Q2.
    assert _proportions(_series(client, admin_headers, loaded, "harassed",
                                **{"from": "2025-05"})) == {("2025-Q2",): (1, 1)}
    assert _proportions(_series(client, admin_headers, loaded, "harassed",
                                to="2025-02-15")) == {("2025-Q1",): (3, 5)}


def test_girls_out_of_school_counts_repeats(loaded, client, admin_headers):
    year = str(datetime.now(UTC).year)  # no date question: the year it arrived
    points = _series(client, admin_headers, loaded, "girls_out", by="area")
    assert {(p["period"], p["area"]): (p["value"], p["n"]) for p in points} == {
        (year, "kisumu"): (1, 4), (year, "kilifi"): (1, 3)}
    assert all(p["low"] is None and p["high"] is None for p in points)
    total = _series(client, admin_headers, loaded, "girls_out")
    assert [(p["value"], p["numerator"], p["n"]) for p in total] == [(2, 2, 7)]


def test_minutes_mean_with_student_t_interval(loaded, client, admin_headers):
    year = str(datetime.now(UTC).year)
    points = {p["sex"]: p for p in _series(client, admin_headers, loaded, "minutes", by="sex")}
    assert set(points) == {"female", "male"}
    for sex, values in (("female", [10, 20, 30]), ("male", [5.5, 9, 15])):
        p = points[sex]
        mean, sd = statistics.fmean(values), statistics.stdev(values)
        half = t_quantile(len(values) - 1) * sd / len(values) ** 0.5
        assert p["period"] == year and p["n"] == 3
        assert p["value"] == pytest.approx(mean) and p["numerator"] == pytest.approx(sum(values))
        assert (p["low"], p["high"]) == (pytest.approx(mean - half), pytest.approx(mean + half))
    assert 4.3026527 < t_quantile(2) < 4.3026528  # Student's t, 2 df, 97.5%: 4.30265273
    total = _series(client, admin_headers, loaded, "minutes")
    assert total[0]["n"] == 6 and total[0]["value"] == pytest.approx(89.5 / 6)


def test_a_review_moves_a_submission_in_and_out(loaded, client, admin_headers):
    url = f"/v1/projects/{loaded.project_id}/forms/safety/submissions/uuid:s7"
    assert client.patch(url, json={"reviewState": "approved"},
                        headers=admin_headers).status_code == 200
    assert _proportions(_series(client, admin_headers, loaded, "harassed")) == {
        ("2025-Q1",): (4, 6), ("2025-Q2",): (1, 1)}
    assert client.patch(url, json={"reviewState": "rejected"},
                        headers=admin_headers).status_code == 200
    assert _proportions(_series(client, admin_headers, loaded, "harassed")) == {
        ("2025-Q1",): (3, 5), ("2025-Q2",): (1, 1)}


def test_cells_equal_the_contributions_grouped(loaded):
    """The rolled-up cells are exactly the per-submission rows summed."""
    columns = (IndicatorContribution.indicator_id, IndicatorContribution.month,
               IndicatorContribution.review_state, IndicatorContribution.d0,
               IndicatorContribution.d1, IndicatorContribution.d2, IndicatorContribution.d3)
    grouped = {tuple(r[:7]): (r[7], r[8]) for r in db.session.execute(
        select(*columns, func.count(), func.sum(IndicatorContribution.num))
        .group_by(*columns))}
    cells = {(c.indicator_id, c.month, c.review_state, c.d0, c.d1, c.d2, c.d3): (c.n, c.num)
             for c in db.session.scalars(select(IndicatorCell)) if c.n}
    assert cells == grouped


def test_labels_in_every_language_come_back(loaded, client, admin_headers):
    found = client.get(f"/v1/projects/{loaded.project_id}/indicators",
                       headers=admin_headers).get_json()
    harassed = next(i for i in found if i["code"] == "harassed")
    assert harassed["labels"] == {"en": "Harassed on public transport", "sw": "Walionyanyaswa"}
    assert harassed["source"] == "xlsform" and harassed["rebuilding"] is False
    assert harassed["disaggregateBy"][1] == {"name": "age", "field": None, "cuts": [18, 35]}


def test_simulated_submissions_never_count(safety, send, client, admin_headers):
    send(safety, instance("uuid:real", sex="female", harassed="yes", visit_date="2025-02-01"),
         "sms")
    send(safety, instance("uuid:try", sex="female", harassed="yes", visit_date="2025-02-01"),
         "simulated-sms")
    points = _series(client, admin_headers, safety, "harassed", by="channel")
    assert [(p["channel"], p["n"]) for p in points] == [("sms", 1)]


def test_an_erased_submission_leaves_every_indicator(loaded, client, admin_headers):
    from app.indicators import contributions
    from app.models import Submission

    s1 = db.session.scalar(select(Submission.id).where(Submission.instance_id == "uuid:s1"))
    contributions.forget([s1])
    db.session.commit()
    assert _proportions(_series(client, admin_headers, loaded, "harassed")) == {
        ("2025-Q1",): (2, 4), ("2025-Q2",): (1, 1)}
    assert _series(client, admin_headers, loaded, "minutes")[0]["n"] == 5

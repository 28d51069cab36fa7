"""The dashboard's page model: every chart has its table, restricted pages carry no points
and no small cells, the official series sits beside ours."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.indicators import dashboard
from app.models import Indicator, Project
from tests.app.indicators.conftest import instance

LABELS = {"ours": "Citizen data", "official": "Official", "period": "Period",
          "value": "Value", "low": "Low", "high": "High", "missing": "Not answered",
          "suppressed": "suppressed", "area": "Area", "sex": "Sex", "goals": "Goals",
          "goal": "Goal", "form": "Mapped by the form", "model": "Tagged by the classifier",
          "texts": "Tagged answers", "count": "Submissions"}


def _load(safety, send):
    for n in range(12):
        send(safety, instance(f"uuid:p{n}", sex="female" if n % 3 else "male",
                              county="kisumu" if n < 9 else "kilifi",
                              harassed="yes" if n % 2 else "no", visit_date="2025-02-03",
                              where="-0.1 34.7 0 5"))


def test_manager_page_has_a_table_under_every_chart_and_points_on_the_map(safety, send):
    _load(safety, send)
    project = db.session.get(Project, safety.project_id)
    harassed = db.session.scalar(select(Indicator).where(Indicator.code == "harassed"))
    data = dashboard.page(project, [harassed], lang="sw", labels=LABELS, restricted=False)
    view = data["indicators"][0]
    assert view.label == "Walionyanyaswa" and view.latest["n"] == 12
    keys = [c.key for c in view.charts]
    assert keys == ["trend", "by-sex", "by-age", "by-area", "map", "by-channel"]
    for chart in view.charts:
        assert chart.rows and len(chart.columns) == len(chart.rows[0])
    area_map = next(c for c in view.charts if c.key == "map")
    assert area_map.spec["mark"]["type"] == "circle" and area_map.spec["data"]["values"]
    assert [g for g in data["goals"].rows if g[0].startswith("11.")][0][1] == 12


def test_restricted_page_has_no_points_and_hides_small_cells(safety, send):
    _load(safety, send)
    project = db.session.get(Project, safety.project_id)
    harassed = db.session.scalar(select(Indicator).where(Indicator.code == "harassed"))
    view = dashboard.page(project, [harassed], lang="en", labels=LABELS,
                          restricted=True)["indicators"][0]
    assert "map" not in [c.key for c in view.charts]  # no boundaries: no map at all
    by_area = next(c for c in view.charts if c.key == "by-area")
    assert {r[0]: r[1] for r in by_area.rows}["kilifi"] == "suppressed"
    assert all(v["value"] is not None for v in by_area.spec["data"]["values"])


def test_official_series_is_drawn_beside_ours(safety, send, client, admin_headers):
    _load(safety, send)
    harassed = db.session.scalar(select(Indicator).where(Indicator.code == "harassed"))
    client.post(f"/v1/projects/{safety.project_id}/indicators/{harassed.id}/official"
                "?source=KNBS", data=b"Year,Sex,Value\n2024,,41\n2024,Female,45\n",
                headers={**admin_headers, "Content-Type": "text/csv"})
    project = db.session.get(Project, safety.project_id)
    view = dashboard.page(project, [harassed], lang="en", labels=LABELS,
                          restricted=False)["indicators"][0]
    values = view.charts[0].spec["data"]["values"]
    assert {"period": "2024", "value": 0.41, "low": None, "high": None, "n": None,
            "source": "Official"} in values
    assert view.official_source == "KNBS"


def test_a_fully_suppressed_indicator_shows_its_table_and_no_empty_chart(safety, send, app):
    from flask import render_template_string

    for n in range(3):  # below the project's threshold: every cell is hidden
        send(safety, instance(f"uuid:few{n}", sex="female", county="kisumu", harassed="yes",
                              visit_date="2025-02-03", where="-0.1 34.7 0 5"))
    project = db.session.get(Project, safety.project_id)
    harassed = db.session.scalar(select(Indicator).where(Indicator.code == "harassed"))
    public = dashboard.page(project, [harassed], lang="en", labels=LABELS,
                            restricted=True)["indicators"][0]
    assert public.charts and all(row[1] == "suppressed" for c in public.charts
                                 for row in c.rows)
    assert not any(chart.drawable for chart in public.charts)
    manager = dashboard.page(project, [harassed], lang="en", labels=LABELS,
                             restricted=False)["indicators"][0]
    assert all(chart.drawable for chart in manager.charts)

    template = ('{% from "ui/_dashboard_parts.html" import chart_block %}'
                '{{ chart_block(chart, "c1-trend", "harassed-trend") }}')
    with app.test_request_context("/"):
        hidden = render_template_string(template, chart=public.charts[0])
        drawn = render_template_string(template, chart=manager.charts[0])
    assert 'class="vega"' not in hidden and "data-save" not in hidden
    assert "every number is hidden" in hidden and "suppressed" in hidden  # the table stays
    assert 'class="vega"' in drawn and "every number is hidden" not in drawn

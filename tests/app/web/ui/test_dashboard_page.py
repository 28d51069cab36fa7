"""The dashboard pages through the Flask test client: who sees what (manager, viewer, another
project's manager, nobody signed in), viewers and public pages getting exactly the API's
suppressed numbers, the downloads through the web session, framing of public dashboards."""
from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.indicators import series
from app.models import ApprovedQuote, Indicator, Submission
from app.services import demo_data
from app.services.demo import run_demo

SPEC = re.compile(r'<script type="application/json" id="([^"]+)-spec">(.*?)</script>', re.S)


@pytest.fixture
def demo(app, tmp_path, web_as, make_project):
    """The demo project with a few hundred made-up submissions and its indicators; a
    manager, a viewer, another project's manager; one approved quote."""
    app.config["INDICATOR_CACHE_SECONDS"] = 0
    series._cache.clear()
    info = run_demo(tmp_path, "http://localhost")
    demo_data.load(info.project_id, count=240, seed=11)
    other = make_project("Elsewhere")
    submission = db.session.scalar(select(Submission.id).limit(1))
    db.session.add(ApprovedQuote(project_id=info.project_id, submission_id=submission,
                                 field="/data/story", goal=5,
                                 text="The street lights near the market are broken."))
    db.session.commit()
    pid = info.project_id
    return {"pid": pid,
            "manager": web_as("manager@example.org", roles={pid: "manager"}),
            "viewer": web_as("viewer@example.org", roles={pid: "viewer"}),
            "outsider": web_as("outsider@example.org", roles={other: "manager"})}


def _indicator(code: str) -> Indicator:
    return db.session.scalar(select(Indicator).where(Indicator.code == code))


def specs(html: str) -> dict[str, dict]:
    return {name: json.loads(body) for name, body in SPEC.findall(html)}


def test_dashboard_answers_each_role_as_the_api_does(demo, client):
    pid = demo["pid"]
    for path in (f"/projects/{pid}/dashboard", f"/projects/{pid}/dashboard/report"):
        assert demo["manager"].get(path).status_code == 200
        assert demo["viewer"].get(path).status_code == 200
        assert demo["outsider"].get(path).status_code == 403
        anonymous = client.get(path)
        assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert demo["manager"].get("/projects/999999/dashboard").status_code == 404
    # The tab shows for those who may read indicators.
    assert f'href="/projects/{pid}/dashboard"' in demo["viewer"].get(
        f"/projects/{pid}").get_data(as_text=True)


def test_manager_sees_goals_quotes_every_indicator_and_points(demo):
    pid = demo["pid"]
    html = demo["manager"].get(f"/projects/{pid}/dashboard").get_data(as_text=True)
    charts = specs(html)
    goals = charts["goals"]
    assert len({v["goal"] for v in goals["data"]["values"]}) == 17
    assert "The street lights near the market are broken." in html
    for body in demo_data.DEMO_INDICATORS:
        indicator = _indicator(body["code"])
        assert f'id="indicator-{indicator.id}"' in html
        assert f"/projects/{pid}/dashboard/indicators/{indicator.id}/series.csv" in html
        assert f"/projects/{pid}/dashboard/indicators/{indicator.id}/series.sdmx.csv" in html
    water = _indicator("6.1.1-water-point-working")
    points = charts[f"c{water.id}-map"]
    assert points["mark"]["type"] == "circle" and points["data"]["values"]
    assert "hidden (small number)" not in html
    # Every chart has its table right under it.
    assert html.count('class="data chart-table"') == len(charts)


def test_viewer_gets_the_apis_suppressed_numbers_and_no_points(demo, login):
    pid = demo["pid"]
    html = demo["viewer"].get(f"/projects/{pid}/dashboard").get_data(as_text=True)
    charts = specs(html)
    assert "hidden (small number)" in html
    assert not any(c.get("mark", {}).get("type") == "circle" for c in charts.values()
                   if isinstance(c.get("mark"), dict))
    headers = login("viewer@example.org")
    for body in demo_data.DEMO_INDICATORS:
        indicator = _indicator(body["code"])
        spec = indicator.definition
        for dim in spec["disaggregateBy"]:
            name = dim["name"]
            api = demo["viewer"].client.get(
                f"/v1/projects/{pid}/indicators/{indicator.id}/series?by={name}",
                headers=headers).get_json()["points"]
            if not api:
                continue
            latest = max(p["period"] for p in api)
            # A chart whose every number is hidden is not drawn (its table stays).
            drawn = charts.get(f"c{indicator.id}-by-{name}")
            shown = {(v["value"], v["n"]) for v in (drawn["data"]["values"] if drawn else [])}
            expected = {(p["value"], p["n"]) for p in api
                        if p["period"] == latest and not p["suppressed"]}
            assert shown == expected, (indicator.code, name)


def test_downloads_work_with_the_web_session_and_suppress_as_the_api(demo, login):
    pid = demo["pid"]
    water = _indicator("6.1.1-water-point-working")
    base = f"/projects/{pid}/dashboard/indicators/{water.id}"
    manager = demo["manager"].get(f"{base}/series.csv")
    assert manager.status_code == 200 and manager.mimetype == "text/csv"
    assert manager.get_data(as_text=True).startswith("Year,")
    sdmx = demo["manager"].get(f"{base}/series.sdmx.csv")
    assert sdmx.status_code == 200 and sdmx.get_data(as_text=True).startswith("DATAFLOW,")
    assert demo["manager"].get(f"{base}/series.meta.yml").status_code == 200
    # A viewer's file is the API's suppressed one, byte for byte.
    viewer = demo["viewer"].get(f"{base}/series.csv").get_data(as_text=True)
    api = demo["viewer"].client.get(f"/v1/projects/{pid}/indicators/{water.id}/series.csv",
                                    headers=login("viewer@example.org"))
    assert viewer == api.get_data(as_text=True)
    assert demo["outsider"].get(f"{base}/series.csv").status_code == 403
    # The API itself takes no cookie: the web app's links are these routes.
    assert demo["manager"].get(f"/v1/projects/{pid}/indicators/{water.id}/series.csv"
                               ).status_code in (401, 403)


def _board(client, pid: int, headers: dict, **body) -> dict:
    response = client.post(f"/v1/projects/{pid}/public-dashboards", json=body,
                           headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_public_page_shows_only_the_public_services_numbers(demo, client, login):
    pid = demo["pid"]
    headers = login("manager@example.org")
    safety = _indicator("16.1.4-safe-at-night")
    water = _indicator("6.1.1-water-point-working")
    _board(client, pid, headers, slug="kisumu-safety", title="Safety in Kisumu",
           indicators=[safety.id, water.id])
    response = client.get("/p/kisumu-safety")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Safety in Kisumu" in html
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    # No quotes, no free text, no points, no downloads, only the chosen indicators.
    assert "street lights" not in html and "/dashboard/indicators/" not in html
    assert f'id="indicator-{_indicator("5.b.1-owns-phone").id}"' not in html
    charts = specs(html)
    assert not any(isinstance(c.get("mark"), dict) and c["mark"].get("type") == "circle"
                   for c in charts.values())
    for indicator in (safety, water):
        for name in ("area",):
            api = client.get(f"/v1/public/kisumu-safety/indicators/{indicator.id}/series"
                             f"?by={name}").get_json()["points"]
            latest = max(p["period"] for p in api)
            # A chart whose every number is hidden is not drawn (its table stays).
            drawn = charts.get(f"c{indicator.id}-by-{name}")
            shown = {(v["value"], v["n"]) for v in (drawn["data"]["values"] if drawn else [])}
            assert shown == {(p["value"], p["n"]) for p in api
                             if p["period"] == latest and not p["suppressed"]}
    assert client.get("/p/no-such-board").status_code == 404
    # Its languages by link too (an embedded page's picker has no cookie to post with).
    swahili = client.get("/p/kisumu-safety?lang=sw").get_data(as_text=True)
    assert '<html lang="sw">' in swahili and 'href="?lang=en"' in swahili
    assert "Wanajisikia salama kutembea peke yao usiku" in swahili


def test_public_page_may_be_framed_by_the_allowed_origins_only(demo, client, login):
    pid = demo["pid"]
    headers = login("manager@example.org")
    safety = _indicator("16.1.4-safe-at-night")
    board = _board(client, pid, headers, slug="embedded", title="Embedded",
                   indicators=[safety.id],
                   allowedOrigins=["https://cso.example.org", "https://news.example.com"])
    response = client.get("/p/embedded")
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors https://cso.example.org https://news.example.com" in csp
    assert "X-Frame-Options" not in response.headers
    assert "script-src 'self'" in csp and "unsafe" not in csp
    client.patch(f"/v1/projects/{pid}/public-dashboards/{board['id']}",
                 json={"published": False}, headers=headers)
    assert client.get("/p/embedded").status_code == 404


def test_dashboard_in_kiswahili(demo):
    pid = demo["pid"]
    viewer = demo["viewer"]
    viewer.post("/language", {"lang": "sw", "next": f"/projects/{pid}/dashboard"})
    html = viewer.get(f"/projects/{pid}/dashboard").get_data(as_text=True)
    assert '<html lang="sw">' in html and "<h1>Dashibodi</h1>" in html
    assert "imefichwa (namba ndogo)" in html  # a viewer's hidden cells, in Kiswahili
    assert "Wanawake walioumizwa na mwenzi katika miezi 12 iliyopita" in html
    assert "Kuwezesha usawa wa kijinsia" in html  # goal 5 from the sw catalogue


def test_the_page_reads_versions_and_official_series_once_not_per_indicator(demo):
    from sqlalchemy import event

    pid = demo["pid"]
    demo["manager"].get(f"/projects/{pid}/dashboard")
    statements: list[str] = []
    listener = lambda *args: statements.append(" ".join(args[2].split()))  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        assert demo["manager"].get(f"/projects/{pid}/dashboard").status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len(demo_data.DEMO_INDICATORS) > 1
    official = [s for s in statements if "FROM indicator_official_series" in s]
    versions = [s for s in statements
                if "FROM form_versions JOIN forms ON forms.current_version_id" in s]
    assert len(official) == 1 and len(versions) == 1, (len(official), len(versions))

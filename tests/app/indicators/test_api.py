"""The indicators API: declaring (errors name the field), who sees what, downloads, official
series, public dashboards (suppression, caching headers, CORS)."""
from __future__ import annotations

import csv
import io

import pytest

from tests.app.indicators.conftest import INDICATORS, XLSX, instance, workbook


@pytest.fixture
def project(safety):
    return safety.project_id


@pytest.fixture
def harassed_id(client, admin_headers, project):
    found = client.get(f"/v1/projects/{project}/indicators", headers=admin_headers).get_json()
    return next(i["id"] for i in found if i["code"] == "harassed")


@pytest.fixture
def crowd(safety, send):
    """Twelve women and nine men in Kisumu answered in Q1 2025; three women in Kilifi."""
    rows = [("female", "kisumu", "yes")] * 7 + [("female", "kisumu", "no")] * 5 + \
        [("male", "kisumu", "yes")] * 4 + [("male", "kisumu", "no")] * 5 + \
        [("female", "kilifi", "yes")] * 2 + [("female", "kilifi", "no")]
    for n, (sex, county, harassed) in enumerate(rows):
        send(safety, instance(f"uuid:c{n}", sex=sex, age="30", county=county,
                              harassed=harassed, visit_date="2025-02-01"))
    return safety


def _post(client, headers, project, **body):
    base = {"code": "safe_night", "sdg": "16.1.4", "form": "safety", "kind": "proportion",
            "numerator": "${harassed} = 'no'", "denominator": "${harassed} != ''"}
    return client.post(f"/v1/projects/{project}/indicators", json={**base, **body},
                       headers=headers)


def test_declaring_an_indicator_through_the_api_counts_what_is_already_there(
        crowd, client, admin_headers, project):
    response = _post(client, admin_headers, project, disaggregateBy=["sex"],
                     period={"unit": "year", "field": "${visit_date}"},
                     labels={"en": "Not harassed"})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["form"] == "safety" and body["source"] == "api"
    assert body["disaggregateBy"] == [{"name": "sex", "field": None}]
    points = client.get(f"/v1/projects/{project}/indicators/{body['id']}/series",
                        headers=admin_headers).get_json()["points"]
    assert [(p["period"], p["numerator"], p["n"]) for p in points] == [("2025", 11, 24)]


@pytest.mark.parametrize(("body", "field", "words"), [
    ({"numerator": "${nope} = 'yes'"}, "numerator", "no question named 'nope'"),
    ({"numerator": "${harassed} = = 'yes'"}, "numerator", "not a valid expression"),
    ({"kind": "median"}, "kind", "proportion, count, mean"),
    ({"sdg": "18.1.1"}, "sdg", "not a goal, target or indicator"),
    ({"disaggregateBy": ["minutes"]}, "disaggregateBy", "not a select_one"),
    ({"disaggregateBy": [{"name": "value"}]}, "disaggregateBy", "cannot name a dimension"),
    ({"period": {"unit": "week"}}, "period", "month, quarter, year"),
    ({"period": {"unit": "year", "field": "sex"}}, "period", "not a date"),
    ({"reviewStates": ["approved", "pending"]}, "reviewStates", "pending"),
])
def test_a_bad_declaration_is_a_400_naming_its_field(client, admin_headers, project, body,
                                                     field, words):
    response = _post(client, admin_headers, project, **body)
    assert response.status_code == 400
    problem = response.get_json()
    assert problem["details"]["field"] == field and words in problem["message"]


def test_codes_are_unique_per_project_and_forms_must_exist(client, admin_headers, project):
    assert _post(client, admin_headers, project, code="harassed").status_code == 409
    response = _post(client, admin_headers, project, form="nowhere")
    assert response.status_code == 400 and response.get_json()["details"]["field"] == "form"


def test_an_indicators_sheet_error_is_reported_like_a_form_error(client, admin_headers,
                                                                 project):
    rows = [*INDICATORS[:2], ["bad", "5.2.2", "proportion", "x", "", "${harassed} = 'yes'",
                              "", "sex ${minutes}", "", "year", ""]]
    response = client.post(f"/v1/projects/{project}/forms?publish=true",
                           data=workbook(rows, version="2"),
                           headers={**admin_headers, "Content-Type": XLSX})
    assert response.status_code == 400
    problem = response.get_json()
    assert problem["code"] == 400.15
    assert (problem["details"]["sheet"], problem["details"]["row"],
            problem["details"]["column"]) == ("indicators", 3, "disaggregate_by")
    assert "not a select_one" in problem["message"]


def test_patch_changes_the_numbers_and_delete_removes_them(crowd, client, admin_headers,
                                                           project, harassed_id):
    url = f"/v1/projects/{project}/indicators/{harassed_id}"
    response = client.patch(url, json={"numerator": "${harassed} = 'no'"}, headers=admin_headers)
    assert response.status_code == 200, response.get_json()
    points = client.get(f"{url}/series", headers=admin_headers).get_json()["points"]
    assert [(p["numerator"], p["n"]) for p in points] == [(11, 24)]
    labels_only = client.patch(url, json={"labels": {"en": "Not harassed"}},
                               headers=admin_headers).get_json()
    assert labels_only["labels"] == {"en": "Not harassed"}
    assert client.delete(url, headers=admin_headers).status_code == 200
    assert client.get(url, headers=admin_headers).status_code == 404


def test_viewers_get_suppressed_tables_managers_every_number(crowd, client, admin_headers,
                                                             make_user, login, project,
                                                             harassed_id):
    make_user("viewer@example.org", roles={project: "viewer"})
    viewer = login("viewer@example.org")
    url = f"/v1/projects/{project}/indicators/{harassed_id}/series?by=area"
    full = {p["area"]: p for p in client.get(url, headers=admin_headers).get_json()["points"]}
    seen = client.get(url, headers=viewer).get_json()
    assert full["kilifi"]["n"] == 3 and full["kilifi"]["suppressed"] is False
    shown = {p["area"]: p for p in seen["points"]}
    assert seen["suppression"] == {"applied": True, "threshold": 5}
    # Kilifi's 3 are too few; Kisumu is then its complement (the total is published).
    assert shown["kilifi"]["suppressed"] and shown["kilifi"]["n"] is None
    assert shown["kisumu"]["suppressed"]
    total = client.get(url.replace("?by=area", ""), headers=viewer).get_json()["points"]
    assert [(p["numerator"], p["n"]) for p in total] == [(13, 24)]
    assert "numerator" not in seen["indicator"]


def test_restricted_callers_keep_to_the_fixed_tables(crowd, client, make_user, login, project,
                                                     harassed_id):
    make_user("viewer@example.org", roles={project: "viewer"})
    viewer = login("viewer@example.org")
    url = f"/v1/projects/{project}/indicators/{harassed_id}/series"
    assert client.get(f"{url}?period=month", headers=viewer).status_code == 400
    assert client.get(f"{url}?by=sex,age,channel", headers=viewer).status_code == 400
    assert client.get(f"{url}?by=sex,age&area=kisumu", headers=viewer).status_code == 400
    assert client.get(f"{url}?by=sex&area=kisumu", headers=viewer).status_code == 200
    assert client.get(f"{url}?by=religion", headers=viewer).status_code == 400
    assert client.get(f"{url}?from=last-week", headers=viewer).status_code == 400


def test_open_sdg_csv_and_its_metadata(crowd, client, admin_headers, project, harassed_id):
    url = f"/v1/projects/{project}/indicators/{harassed_id}/series.csv"
    response = client.get(url, headers=admin_headers)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert 'filename="indicator_11-7-2.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert list(rows[0]) == ["Year", "Sex", "Age", "Channel", "Units", "GeoCode", "Value"]
    headline = [r for r in rows if not (r["Sex"] or r["Age"] or r["Channel"] or r["GeoCode"])]
    assert headline == [{"Year": "2025-Q1", "Sex": "", "Age": "", "Channel": "",
                         "Units": "Percentage", "GeoCode": "",
                         "Value": f"{13 / 24 * 100:.10g}"}]
    assert {(r["GeoCode"], r["Value"]) for r in rows if r["GeoCode"]} == {
        ("kisumu", f"{11 / 21 * 100:.10g}"), ("kilifi", f"{2 / 3 * 100:.10g}")}
    meta = client.get(response.headers["Link"].split(">")[0].lstrip("<"),
                      headers=admin_headers)
    assert meta.status_code == 200
    assert "indicator_number: 11.7.2" in meta.get_data(as_text=True)


def test_sdmx_csv_has_the_sdg_columns_and_codes(crowd, client, admin_headers, project,
                                                harassed_id):
    response = client.get(f"/v1/projects/{project}/indicators/{harassed_id}/series.sdmx.csv",
                          headers=admin_headers)
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert list(rows[0])[:7] == ["DATAFLOW", "FREQ", "REPORTING_TYPE", "SERIES", "REF_AREA",
                                 "SEX", "AGE"]
    assert {"TIME_PERIOD", "OBS_VALUE", "UNIT_MEASURE", "OBS_STATUS", "UPPER_BOUND",
            "LOWER_BOUND"} <= set(rows[0])
    total = next(r for r in rows if r["SEX"] == "_T" and r["AGE"] == "_T"
                 and r["CUST_BREAKDOWN"] == "_T" and r["REF_AREA"] == "")
    assert (total["SERIES"], total["FREQ"], total["TIME_PERIOD"], total["UNIT_MEASURE"],
            total["OBS_STATUS"]) == ("harassed", "Q", "2025-Q1", "PT", "A")
    assert float(total["OBS_VALUE"]) == pytest.approx(13 / 24 * 100)
    assert {r["SEX"] for r in rows} == {"_T", "F", "M"}
    assert {r["AGE"] for r in rows} == {"_T", "Y18T34"}


def test_official_series_upload_and_read_back(client, admin_headers, project, harassed_id):
    url = f"/v1/projects/{project}/indicators/{harassed_id}/official"
    body = "Year,Sex,Units,GeoCode,Value\n2023,,Percentage,,41.2\n2023,Female,Percentage,,45\n"
    response = client.post(f"{url}?source=KNBS", data=body.encode(),
                           headers={**admin_headers, "Content-Type": "text/csv"})
    assert response.status_code == 201, response.get_json()
    back = client.get(url, headers=admin_headers).get_json()
    assert back["source"] == "KNBS" and back["columns"] == ["Year", "Sex", "Units", "GeoCode",
                                                             "Value"]
    assert back["points"][1] == {"period": "2023", "value": 45.0, "units": "Percentage",
                                 "series": None, "geoCode": None,
                                 "disaggregations": {"Sex": "Female"}}
    raw = client.get(url, headers={**admin_headers, "Accept": "text/csv"})
    assert raw.get_data(as_text=True) == body
    bad = client.post(url, data=b"Year,Value\n2023,lots\n",
                      headers={**admin_headers, "Content-Type": "text/csv"})
    assert bad.status_code == 400
    assert bad.get_json()["details"] == {"row": 2, "column": "Value"}
    no_value = client.post(url, data=b"Year,Units\n2023,x\n", headers=admin_headers)
    assert no_value.status_code == 400 and "Value" in no_value.get_json()["message"]


def test_public_dashboard_serves_suppressed_numbers_with_caching_and_cors(
        crowd, client, admin_headers, project, harassed_id):
    created = client.post(f"/v1/projects/{project}/public-dashboards", json={
        "slug": "safe-transport", "title": "Safe transport", "indicators": [harassed_id],
        "allowedOrigins": ["https://cso.example.org"]}, headers=admin_headers)
    assert created.status_code == 201, created.get_json()
    board = client.get("/v1/public/safe-transport",
                       headers={"Origin": "https://cso.example.org"})
    assert board.status_code == 200
    assert board.headers["Cache-Control"] == "public, max-age=300"
    assert board.headers["Access-Control-Allow-Origin"] == "https://cso.example.org"
    assert "Origin" in board.headers["Vary"]
    body = board.get_json()
    assert body["indicators"][0]["latest"]["n"] == 24
    assert body["indicators"][0]["goal"] == 11
    again = client.get("/v1/public/safe-transport",
                       headers={"If-None-Match": board.headers["ETag"]})
    assert again.status_code == 304
    elsewhere = client.get("/v1/public/safe-transport", headers={"Origin": "https://evil.test"})
    assert "Access-Control-Allow-Origin" not in elsewhere.headers
    series = client.get(f"/v1/public/safe-transport/indicators/{harassed_id}/series?by=area")
    assert series.status_code == 200
    assert all(p["suppressed"] for p in series.get_json()["points"])
    assert client.get(f"/v1/public/safe-transport/indicators/{harassed_id}/series"
                      "?period=month").status_code == 400
    preflight = client.options("/v1/public/safe-transport",
                               headers={"Origin": "https://cso.example.org"})
    assert preflight.status_code == 204


def test_public_dashboards_hide_what_is_not_published(client, admin_headers, project,
                                                      harassed_id):
    client.post(f"/v1/projects/{project}/public-dashboards", json={
        "slug": "draft-board", "title": "Draft", "indicators": [], "published": False},
        headers=admin_headers)
    assert client.get("/v1/public/draft-board").status_code == 404
    assert client.get("/v1/public/nothing-here").status_code == 404
    client.post(f"/v1/projects/{project}/public-dashboards", json={
        "slug": "empty-board", "title": "Empty", "indicators": []}, headers=admin_headers)
    assert client.get(f"/v1/public/empty-board/indicators/{harassed_id}/series"
                      ).status_code == 404
    bad = client.post(f"/v1/projects/{project}/public-dashboards", json={
        "slug": "x y", "title": "Bad"}, headers=admin_headers)
    assert bad.status_code == 400
    origin = client.post(f"/v1/projects/{project}/public-dashboards", json={
        "slug": "bad-origin", "title": "Bad", "allowedOrigins": ["https://a.org/page"]},
        headers=admin_headers)
    assert origin.status_code == 400


def test_the_threshold_is_a_project_setting(crowd, client, admin_headers, make_user, login,
                                            project, harassed_id):
    make_user("viewer@example.org", roles={project: "viewer"})
    viewer = login("viewer@example.org")
    url = f"/v1/projects/{project}/indicators/{harassed_id}/series?by=sex"
    shown = {p["sex"]: p for p in client.get(url, headers=viewer).get_json()["points"]}
    assert shown["male"]["suppressed"]  # 4 of the 9 men said yes: 4 < 5
    response = client.patch(f"/v1/projects/{project}", json={"settings": {
        "smallCellThreshold": 2}}, headers=admin_headers)
    assert response.status_code == 200
    shown = {p["sex"]: p for p in client.get(url, headers=viewer).get_json()["points"]}
    assert (shown["male"]["numerator"], shown["male"]["n"]) == (4, 9)
    assert (shown["female"]["numerator"], shown["female"]["n"]) == (9, 15)
    bad = client.patch(f"/v1/projects/{project}", json={"settings": {
        "smallCellThreshold": 0}}, headers=admin_headers)
    assert bad.status_code == 400


def test_flask_indicators_rebuild_repairs_the_cells(crowd, runner, client, admin_headers,
                                                    project, harassed_id):
    from app.extensions import db
    from app.models import IndicatorCell

    db.session.execute(IndicatorCell.__table__.delete())
    db.session.commit()
    result = runner.invoke(args=["indicators", "rebuild", str(harassed_id)])
    assert result.exit_code == 0, result.output
    assert f"indicator {harassed_id}: 24 submissions" in result.output
    points = client.get(f"/v1/projects/{project}/indicators/{harassed_id}/series",
                        headers=admin_headers).get_json()["points"]
    assert [(p["numerator"], p["n"]) for p in points] == [(13, 24)]
    listed = runner.invoke(args=["indicators", "list"])
    assert "harassed" in listed.output and "current" in listed.output
    assert runner.invoke(args=["indicators", "rebuild"]).exit_code == 2
    assert runner.invoke(args=["indicators", "rebuild", "999"]).exit_code == 2


def test_public_tables_are_reused_for_the_cache_time(crowd, client, admin_headers, project,
                                                     harassed_id, app, send):
    app.config["INDICATOR_CACHE_SECONDS"] = 60
    client.post(f"/v1/projects/{project}/public-dashboards", json={
        "slug": "cached", "title": "Cached", "indicators": [harassed_id]}, headers=admin_headers)
    url = f"/v1/public/cached/indicators/{harassed_id}/series"
    first = client.get(url).get_json()["points"][0]["n"]
    send(crowd, instance("uuid:late", sex="female", county="kisumu", harassed="yes",
                         visit_date="2025-02-01"))
    assert client.get(url).get_json()["points"][0]["n"] == first  # within the minute
    app.config["INDICATOR_CACHE_SECONDS"] = 0
    assert client.get(url).get_json()["points"][0]["n"] == first + 1

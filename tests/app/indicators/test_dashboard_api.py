"""The dashboard's other readings: goals (form-mapped and classifier-tagged apart), approved
quotes, area boundaries."""
from __future__ import annotations

import json

from sqlalchemy import select

from app.extensions import db
from app.models import SdgTag
from tests.app.indicators.conftest import instance

STORY = ("Girls are harassed at the bus stage every evening and the police never come; "
         "women are afraid to walk home from the market after dark.")


def test_goals_count_mapped_and_tagged_submissions_apart(safety, send, client,
                                                         admin_headers):
    send(safety, instance("uuid:g1", sex="female", harassed="yes", story=STORY))
    send(safety, instance("uuid:g2", sex="male", harassed="no"))
    goals = client.get(f"/v1/projects/{safety.project_id}/sdg-goals?lang=sw",
                       headers=admin_headers).get_json()
    assert [g["goal"] for g in goals] == list(range(1, 18))
    by_goal = {g["goal"]: g for g in goals}
    assert by_goal[11]["form"] == 2  # the form's own code: every submission
    tagged = set(db.session.scalars(select(SdgTag.goal).where(SdgTag.source == "model")))
    assert tagged, "the classifier tags the story"
    for goal in tagged:
        assert by_goal[goal]["model"] == 1 and by_goal[goal]["texts"] >= 1
    assert all(g["model"] == 0 for g in goals if g["goal"] not in tagged)
    assert by_goal[5]["title"]  # Kiswahili title from the catalogue


def test_a_manager_approves_a_tagged_answer_as_a_quote(safety, send, client, admin_headers,
                                                       make_user, login):
    send(safety, instance("uuid:q1", sex="female", harassed="yes", story=STORY))
    goal = db.session.scalar(select(SdgTag.goal).where(SdgTag.source == "model"))
    base = f"/v1/projects/{safety.project_id}/quotes"
    candidates = client.get(f"{base}/candidates?goal={goal}", headers=admin_headers).get_json()
    assert candidates[0]["text"] == STORY and candidates[0]["instanceId"] == "uuid:q1"
    created = client.post(base, json={"form": "safety", "instanceId": "uuid:q1",
                                      "field": candidates[0]["field"], "goal": goal,
                                      "text": "Girls are harassed at the bus stage."},
                          headers=admin_headers)
    assert created.status_code == 201, created.get_json()
    make_user("viewer@example.org", roles={safety.project_id: "viewer"})
    viewer = login("viewer@example.org")
    listed = client.get(f"{base}?goal={goal}", headers=viewer).get_json()
    assert [q["text"] for q in listed] == ["Girls are harassed at the bus stage."]
    assert client.get(f"{base}/candidates?goal={goal}", headers=viewer).status_code == 403
    wrong = client.post(base, json={"form": "safety", "instanceId": "uuid:q1",
                                    "field": "/data/sex", "goal": goal}, headers=admin_headers)
    assert wrong.status_code == 400
    quote_id = created.get_json()["id"]
    assert client.delete(f"{base}/{quote_id}", headers=admin_headers).status_code == 200


def test_area_boundaries_upload_checks_the_geojson(safety, client, admin_headers):
    url = f"/v1/projects/{safety.project_id}/boundaries"
    square = {"type": "Polygon", "coordinates": [[[34, -1], [35, -1], [35, 0], [34, 0],
                                                  [34, -1]]]}
    good = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "kisumu"}, "geometry": square}]}
    assert client.get(url, headers=admin_headers).status_code == 404
    response = client.put(f"{url}?match=name", data=json.dumps(good),
                          headers={**admin_headers, "Content-Type": "application/geo+json"})
    assert response.status_code == 200 and response.get_json()["features"] == 1
    assert client.get(url, headers=admin_headers).get_json()["geojson"] == good
    missing = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": square}]}
    assert client.put(f"{url}?match=name", data=json.dumps(missing),
                      headers=admin_headers).status_code == 400
    assert client.put(f"{url}?match=name", data=b"{not json",
                      headers=admin_headers).status_code == 400
    point = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "x"},
         "geometry": {"type": "Point", "coordinates": [34, 0]}}]}
    assert client.put(f"{url}?match=name", data=json.dumps(point),
                      headers=admin_headers).status_code == 400
    assert client.put(url, data=json.dumps(good), headers=admin_headers).status_code == 400

"""App users: created with a token shown once (and a Collect QR code), listed, revoked;
form assignments decide which forms an app user sees."""
from __future__ import annotations

import base64
import json
import zlib

from app.extensions import db
from app.models import AppUser
from app.services.accounts import hash_token


def _create(client, headers, pid, name="Phone 1"):
    response = client.post(f"/v1/projects/{pid}/app-users", json={"displayName": name},
                           headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_token_is_shown_once_and_stored_hashed(client, admin_headers, make_project):
    pid = make_project()
    body = _create(client, admin_headers, pid)
    assert body["type"] == "field_key" and body["projectId"] == pid and body["token"]
    assert db.session.get(AppUser, body["id"]).token_hash == hash_token(body["token"])
    listed = client.get(f"/v1/projects/{pid}/app-users", headers=admin_headers).get_json()
    assert [(a["id"], a["token"]) for a in listed] == [(body["id"], None)]


def test_qr_payload_decodes_to_collect_settings(client, admin_headers, make_project):
    pid = make_project("Demo CSO")
    body = _create(client, admin_headers, pid)
    settings = json.loads(zlib.decompress(base64.b64decode(body["qr"]["payload"])))
    url = f"http://localhost/v1/key/{body['token']}/projects/{pid}"
    assert settings["general"]["server_url"] == url == body["collectUrl"]
    assert settings["general"]["form_update_mode"] == "match_exactly"
    assert settings["project"] == {"name": "Demo CSO"} and settings["admin"] == {}
    later = client.get(f"/v1/projects/{pid}/app-users/{body['id']}/qr", headers=admin_headers)
    assert later.status_code == 409 and "shown once" in later.get_json()["message"]


def test_missing_display_name_is_400_2(client, admin_headers, make_project):
    pid = make_project()
    response = client.post(f"/v1/projects/{pid}/app-users", json={}, headers=admin_headers)
    assert response.status_code == 400 and response.get_json()["code"] == 400.2


def test_revoked_token_stops_at_once(client, admin_headers, make_project, publish_fixture):
    pid = make_project()
    publish_fixture(pid, "water_point")
    body = _create(client, admin_headers, pid)
    url = f"/v1/key/{body['token']}/projects/{pid}/forms"
    assert client.get(url).status_code == 200
    assert client.delete(f"/v1/projects/{pid}/app-users/{body['id']}",
                         headers=admin_headers).get_json() == {"success": True}
    assert client.get(url).status_code == 403
    assert client.get(f"/v1/projects/{pid}/app-users", headers=admin_headers).get_json() == []


def test_app_user_sees_only_assigned_forms(client, admin_headers, make_project, publish_fixture):
    pid = make_project()
    publish_fixture(pid, "water_point")
    publish_fixture(pid, "escuela")
    body = _create(client, admin_headers, pid)
    key = f"/v1/key/{body['token']}/projects/{pid}"
    assert client.get(f"{key}/forms").get_json() == []
    assert client.get(f"{key}/forms/escuela").status_code == 403
    assign = f"/v1/projects/{pid}/forms/escuela/assignments/app-user/{body['id']}"
    assert client.post(assign, headers=admin_headers).get_json() == {"success": True}
    assert [f["xmlFormId"] for f in client.get(f"{key}/forms").get_json()] == ["escuela"]
    assert client.get(f"{key}/forms/escuela.xml").status_code == 200
    listed = client.get(f"/v1/projects/{pid}/assignments/forms/app-user",
                        headers=admin_headers).get_json()
    assert listed == [{"actorId": body["id"], "roleId": 2, "xmlFormId": "escuela"}]
    assert client.delete(assign, headers=admin_headers).status_code == 200
    assert client.get(f"{key}/forms").get_json() == []


def test_assign_by_role_id_and_refuse_other_projects_app_user(
        client, admin_headers, make_project, publish_fixture):
    pid, other = make_project("A"), make_project("B")
    publish_fixture(pid, "escuela")
    stranger = _create(client, admin_headers, other)
    response = client.post(f"/v1/projects/{pid}/forms/escuela/assignments/2/{stranger['id']}",
                           headers=admin_headers)
    assert response.status_code == 404
    mine = _create(client, admin_headers, pid)
    ok = client.post(f"/v1/projects/{pid}/forms/escuela/assignments/2/{mine['id']}",
                     headers=admin_headers)
    assert ok.status_code == 200
    assignees = client.get(f"/v1/projects/{pid}/forms/escuela/assignments/app-user",
                           headers=admin_headers).get_json()
    assert [a["id"] for a in assignees] == [mine["id"]]
    bad_role = client.post(f"/v1/projects/{pid}/forms/escuela/assignments/manager/{mine['id']}",
                           headers=admin_headers)
    assert bad_role.status_code == 404

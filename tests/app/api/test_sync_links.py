"""Sync links at the central server: a project-scoped, revocable credential of its own type."""
from __future__ import annotations

from app.extensions import db
from app.models import Actor, SyncLink
from tests.openrosa.fixtures import SITE_XFORM, publish_xform


def _create(client, headers, project_id, name="Turkana office"):
    return client.post(f"/v1/projects/{project_id}/sync-links", headers=headers,
                       json={"displayName": name})


def test_create_returns_201_with_token_and_url_shown_once(client, admin_headers, make_project):
    pid = make_project()
    response = _create(client, admin_headers, pid)
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) >= {"id", "displayName", "token", "url"}
    assert body["displayName"] == "Turkana office"
    assert body["url"] == f"http://localhost/v1/projects/{pid}"
    link = db.session.get(SyncLink, body["id"])
    assert link.token_hash != body["token"] and len(body["token"]) > 40
    assert db.session.get(Actor, body["id"]).type == "sync_link"
    listed = client.get(f"/v1/projects/{pid}/sync-links", headers=admin_headers).get_json()
    assert [item["id"] for item in listed] == [body["id"]]
    assert "token" not in listed[0] and listed[0]["lastContactAt"] is None


def test_link_token_reads_its_project_and_records_last_contact(client, admin_headers,
                                                               make_project):
    pid = make_project()
    publish_xform(pid, SITE_XFORM.replace("{version}", "1"))
    token = _create(client, admin_headers, pid).get_json()["token"]
    link = {"Authorization": f"Bearer {token}"}
    assert client.get(f"/v1/projects/{pid}/forms", headers=link).status_code == 200
    hello = client.get(f"/v1/projects/{pid}/sync", headers=link)
    assert hello.status_code == 200 and hello.get_json()["protocol"] == 1
    listed = client.get(f"/v1/projects/{pid}/sync-links", headers=admin_headers).get_json()
    assert listed[0]["lastContactAt"] is not None


def test_link_of_one_project_cannot_see_another(client, admin_headers, make_project):
    mine, other = make_project("A"), make_project("B")
    publish_xform(other, SITE_XFORM.replace("{version}", "1"))
    token = _create(client, admin_headers, mine).get_json()["token"]
    link = {"Authorization": f"Bearer {token}"}
    assert client.get(f"/v1/projects/{other}/forms", headers=link).status_code == 403
    assert client.get(f"/v1/projects/{other}/sync", headers=link).status_code == 403
    assert client.get(f"/v1/projects/{mine}/sync-links", headers=link).status_code == 403


def test_revoked_link_is_refused_at_the_next_request(client, admin_headers, make_project):
    pid = make_project()
    body = _create(client, admin_headers, pid).get_json()
    link = {"Authorization": f"Bearer {body['token']}"}
    assert client.get(f"/v1/projects/{pid}/sync", headers=link).status_code == 200
    revoked = client.delete(f"/v1/projects/{pid}/sync-links/{body['id']}", headers=admin_headers)
    assert revoked.status_code == 200
    assert client.get(f"/v1/projects/{pid}/sync", headers=link).status_code == 401
    assert client.get(f"/v1/projects/{pid}/sync-links", headers=admin_headers).get_json() == []


def test_only_managers_manage_links(client, make_user, login, make_project):
    pid = make_project()
    make_user("viewer@example.org", roles={pid: "viewer"})
    make_user("manager@example.org", roles={pid: "manager"})
    viewer, manager = login("viewer@example.org"), login("manager@example.org")
    assert _create(client, viewer, pid).status_code == 403
    assert client.get(f"/v1/projects/{pid}/sync-links", headers=viewer).status_code == 403
    assert _create(client, manager, pid).status_code == 201


def test_create_without_display_name_is_400(client, admin_headers, make_project):
    pid = make_project()
    response = client.post(f"/v1/projects/{pid}/sync-links", headers=admin_headers, json={})
    assert response.status_code == 400
    assert "displayName" in response.get_json()["message"]


def test_unknown_project_is_404(client, admin_headers):
    assert _create(client, admin_headers, 999).status_code == 404

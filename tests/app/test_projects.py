"""Projects: who may create, list and read them (the tenant wall starts here)."""
from __future__ import annotations


def test_admin_creates_a_project_and_sees_it_listed(client, admin_headers):
    response = client.post("/v1/projects", json={"name": "Maji Watch"}, headers=admin_headers)
    assert response.status_code == 200
    project = response.get_json()
    assert project["name"] == "Maji Watch"
    assert {"id", "description", "keyId", "archived", "createdAt", "updatedAt",
            "deletedAt"} <= set(project)
    listing = client.get("/v1/projects", headers=admin_headers)
    assert [p["name"] for p in listing.get_json()] == ["Maji Watch"]
    assert listing.headers["X-Total-Count"] == "1"


def test_a_non_admin_cannot_create_projects(client, make_user, login):
    make_user("viewer@example.org")
    response = client.post("/v1/projects", json={"name": "X"},
                           headers=login("viewer@example.org"))
    assert response.status_code == 403
    assert response.get_json()["code"] == 403.1


def test_users_see_only_projects_they_hold_a_role_on(client, make_user, login, make_project):
    mine, theirs = make_project("Mine"), make_project("Theirs")
    make_user("mgr@example.org", roles={mine: "manager"})
    headers = login("mgr@example.org")
    assert [p["id"] for p in client.get("/v1/projects", headers=headers).get_json()] == [mine]
    assert client.get(f"/v1/projects/{mine}", headers=headers).status_code == 200
    other = client.get(f"/v1/projects/{theirs}", headers=headers)
    assert other.status_code == 403
    assert "Theirs" not in other.get_data(as_text=True)


def test_extended_metadata_counts_forms_and_app_users(client, admin_headers, make_project):
    pid = make_project("Counts")
    body = client.get(f"/v1/projects/{pid}", headers={**admin_headers,
                                                      "X-Extended-Metadata": "true"}).get_json()
    assert body["forms"] == 0 and body["appUsers"] == 0


def test_anonymous_requests_are_401(client, make_project):
    pid = make_project()
    response = client.get(f"/v1/projects/{pid}")
    assert response.status_code == 401


def test_unknown_project_is_404(client, admin_headers):
    response = client.get("/v1/projects/999999", headers=admin_headers)
    assert response.status_code == 404
    assert response.get_json() == {"code": 404.1, "message": "Could not find the resource you "
                                                             "were looking for."}


def test_manager_renames_project_but_viewer_cannot(client, make_user, login, make_project):
    pid = make_project("Old")
    make_user("mgr@example.org", roles={pid: "manager"})
    make_user("view@example.org", roles={pid: "viewer"})
    denied = client.patch(f"/v1/projects/{pid}", json={"name": "New"},
                          headers=login("view@example.org"))
    assert denied.status_code == 403
    allowed = client.patch(f"/v1/projects/{pid}", json={"name": "New"},
                           headers=login("mgr@example.org"))
    assert allowed.status_code == 200 and allowed.get_json()["name"] == "New"

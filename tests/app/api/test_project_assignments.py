"""Project roles as Central has them: list, give, take away (DELETE), audited; and the
project's Team page in the web app, for managers, through the same service."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Audit, ProjectRole


@pytest.fixture
def setup(make_project, make_user, login, admin_headers):
    project = make_project("Water CSO")
    other = make_project("Other CSO")
    manager = make_user("manager@example.org", roles={project: "manager"})
    viewer = make_user("viewer@example.org", roles={project: "viewer"})
    spare = make_user("spare@example.org")
    return {"project": project, "other": other, "manager": manager, "viewer": viewer,
            "spare": spare, "as_manager": login("manager@example.org"),
            "as_viewer": login("viewer@example.org"), "admin": admin_headers}


def _roles(project: int) -> set[tuple[int, str]]:
    return {(r.actor_id, r.role) for r in db.session.scalars(
        select(ProjectRole).where(ProjectRole.project_id == project))}


def test_list_give_and_take_away(client, setup):
    p, spare = setup["project"], setup["spare"].actor_id
    base = f"/v1/projects/{p}/assignments"
    listed = client.get(base, headers=setup["as_manager"]).get_json()
    assert {(r["actorId"], r["roleId"]) for r in listed} == _roles(p)
    assert client.post(f"{base}/viewer/{spare}", headers=setup["as_manager"]).status_code == 200
    extended = client.get(base, headers={**setup["as_manager"], "X-Extended-Metadata": "true"})
    assert any(
        r["actor"]["id"] == spare and r["roleId"] == "viewer" for r in extended.get_json())
    gone = client.delete(f"{base}/viewer/{spare}", headers=setup["as_manager"])
    assert gone.status_code == 200 and gone.get_json() == {"success": True}
    assert (spare, "viewer") not in _roles(p)
    again = client.delete(f"{base}/viewer/{spare}", headers=setup["as_manager"])
    assert again.status_code == 404
    bad = client.delete(f"{base}/boss/{spare}", headers=setup["as_manager"])
    assert bad.status_code == 400 and "boss" in bad.get_json()["message"]
    actions = [(a.action, a.details["actorId"], a.details["role"]) for a in db.session.scalars(
        select(Audit).where(Audit.action.like("user.assignment.%")).order_by(Audit.id))]
    assert actions == [("user.assignment.create", spare, "viewer"),
                       ("user.assignment.delete", spare, "viewer")]


def test_viewers_and_other_projects_may_not(client, setup):
    p, o, viewer = setup["project"], setup["other"], setup["viewer"].actor_id
    assert client.get(f"/v1/projects/{p}/assignments",
                      headers=setup["as_viewer"]).status_code == 403
    assert client.delete(f"/v1/projects/{p}/assignments/viewer/{viewer}",
                         headers=setup["as_viewer"]).status_code == 403
    assert client.delete(f"/v1/projects/{o}/assignments/viewer/{viewer}",
                         headers=setup["as_manager"]).status_code in (403, 404)
    assert (viewer, "viewer") in _roles(p)


def test_the_team_page(setup, app):
    from tests.app.web.ui.conftest import Browser

    p, spare = setup["project"], setup["spare"]
    web = Browser(app.test_client())
    web.sign_in("manager@example.org")
    page = web.get(f"/projects/{p}/team").get_data(as_text=True)
    assert "viewer@example.org" in page and ">Team<" in page
    given = web.post(f"/projects/{p}/team", {"email": "spare@example.org", "role": "viewer"})
    assert given.status_code == 302 and (spare.actor_id, "viewer") in _roles(p)
    web.get(f"/projects/{p}/team")
    unknown = web.post(f"/projects/{p}/team", {"email": "nobody@example.org", "role": "viewer"},
                       follow_redirects=True)
    assert "No web user has that email" in unknown.get_data(as_text=True)
    removed = web.post(f"/projects/{p}/team/{spare.actor_id}/viewer/remove")
    assert removed.status_code == 302 and (spare.actor_id, "viewer") not in _roles(p)
    refused = web.post(f"/projects/{p}/team/{spare.actor_id}/viewer/remove", csrf=False)
    assert refused.status_code in (400, 403)
    viewer = Browser(app.test_client())
    viewer.sign_in("viewer@example.org")
    assert viewer.get(f"/projects/{p}/team").status_code == 403
    assert "/team" not in viewer.get(f"/projects/{p}").get_data(as_text=True)
    assert viewer.post(f"/projects/{p}/team", {"email": "spare@example.org",
                                                "role": "manager"}).status_code == 403

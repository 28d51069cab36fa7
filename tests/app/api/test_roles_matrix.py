"""Role × route × own/other project: every projects, forms, drafts, media, versions, app-user
and assignment route allows exactly the roles it should, and never leaks across projects."""
from __future__ import annotations

from functools import cache

import pytest

from app.extensions import db
from tests.app.api.workbooks import XLSX, simple_form

READ, PROJECT_READ, MANAGE, SITE = "read", "project_read", "manage", "site"
ALLOWED = {
    "admin": {READ, PROJECT_READ, MANAGE, SITE},
    "manager": {READ, PROJECT_READ, MANAGE},
    "viewer": {READ, PROJECT_READ},
    "formfill": {READ, PROJECT_READ},
    "app-user": {READ},
}
F = "/projects/{A}/forms/media"
NEW_XFORM = (b'<?xml version="1.0"?><h:html xmlns="http://www.w3.org/2002/xforms" '
             b'xmlns:h="http://www.w3.org/1999/xhtml"><h:head><h:title>Other</h:title><model>'
             b'<instance><data id="other"><q/></data></instance>'
             b'<bind nodeset="/data/q" type="string"/></model></h:head><h:body>'
             b'<input ref="/data/q"><label>Q</label></input></h:body></h:html>')
# In order: reads first, then changes that keep the fixtures usable, destructive ones last.
ROUTES = [
    (READ, "GET", "/projects/{A}/forms", None),
    (READ, "GET", F, None),
    (READ, "GET", F + ".xml", None),
    (READ, "GET", F + ".xlsx", None),
    (READ, "GET", F + "/attachments", None),
    (READ, "GET", F + "/attachments/logo.png", None),
    (READ, "GET", F + "/versions", None),
    (READ, "GET", F + "/versions/1", None),
    (READ, "GET", F + "/versions/1.xml", None),
    (READ, "GET", F + "/fields", None),
    (PROJECT_READ, "GET", "/projects/{A}", None),
    (MANAGE, "GET", F + "/draft", None),
    (MANAGE, "GET", F + "/draft.xml", None),
    (MANAGE, "GET", F + "/draft/fields", None),
    (MANAGE, "GET", F + "/draft/attachments", None),
    (MANAGE, "GET", F + "/draft/attachments/logo.png", None),
    (MANAGE, "DELETE", F + "/draft/attachments/logo.png", None),
    (MANAGE, "POST", F + "/draft/attachments/logo.png", ("image/png", b"\x89PNG fake")),
    (MANAGE, "POST", F + "/draft/publish?version=2", None),
    (MANAGE, "POST", F + "/draft", None),
    (MANAGE, "POST", F + "/draft", (XLSX, "v3")),
    (MANAGE, "DELETE", F + "/draft", None),
    (MANAGE, "PATCH", F, {"state": "open"}),
    (MANAGE, "GET", "/projects/{A}/app-users", None),
    (MANAGE, "POST", "/projects/{A}/app-users", {"displayName": "New phone"}),
    (MANAGE, "GET", F + "/assignments", None),
    (MANAGE, "GET", F + "/assignments/app-user", None),
    (MANAGE, "DELETE", F + "/assignments/app-user/{U}", None),
    (MANAGE, "POST", F + "/assignments/app-user/{U}", None),
    (MANAGE, "GET", "/projects/{A}/assignments/forms", None),
    (MANAGE, "GET", "/projects/{A}/assignments/forms/app-user", None),
    (MANAGE, "PATCH", "/projects/{A}", {"name": "Renamed"}),
    (MANAGE, "POST", "/projects/{A}/assignments/viewer/{S}", None),
    (MANAGE, "GET", "/projects/{A}/assignments", None),
    (MANAGE, "DELETE", "/projects/{A}/assignments/viewer/{S}", None),
    (MANAGE, "POST", "/projects/{A}/forms", ("application/xml", NEW_XFORM)),
    (MANAGE, "DELETE", "/projects/{A}/app-users/{V}", None),
    (MANAGE, "DELETE", F, None),
    (SITE, "POST", "/projects", {"name": "Another"}),
]
CASES = [(role, "own") for role in ALLOWED] + [
    (role, "other") for role in ALLOWED if role != "admin"]


@cache
def _compiled(version: str):
    from forms.xlsform import compile_upload

    return compile_upload(simple_form("media", version, logo=True), XLSX, "media.xlsx",
                          validate=False)


def _setup(make_project, make_app_user):
    """Project A with form `media` (published v1 with its logo, plus a draft), app users U
    (assigned) and V, a spare user S; project B, where the "other" principals live."""
    from app.services import accounts
    from app.services import forms as form_service

    a, b = make_project("A"), make_project("B")
    form = form_service.create_form(a, _compiled("1"), None, publish=True)
    db.session.expire(form)  # the service set ids; reload the version relationships
    form_service.set_attachment(form.current_version, "logo.png", b"\x89PNG logo", "image/png")
    form_service.replace_draft(form, None, None)
    spare = accounts.create_user("spare@example.org", None)
    db.session.commit()
    u, u_token = make_app_user(a, [form], name="U")
    v, _ = make_app_user(a, [], name="V")
    return {"A": a, "B": b, "U": u, "V": v, "S": spare.actor_id, "token": u_token}


@pytest.mark.parametrize(("role", "side"), CASES)
def test_role_matrix(client, make_project, make_user, make_app_user, login, role, side):
    ids = _setup(make_project, make_app_user)
    home = ids["A"] if side == "own" else ids["B"]
    prefix, headers = "/v1", {}
    if role == "app-user":
        token = ids["token"] if side == "own" else make_app_user(ids["B"], [], name="W")[1]
        prefix = f"/v1/key/{token}"
    else:
        make_user("who@example.org", admin=role == "admin",
                  roles={} if role == "admin" else {home: role})
        headers = login("who@example.org")

    listed = client.get(f"{prefix}/projects", headers=headers)
    assert listed.status_code == 200
    assert (ids["A"] in [p["id"] for p in listed.get_json()]) == (side == "own")

    allowed = ALLOWED[role] if side == "own" else set()
    for category, method, path, body in ROUTES:
        url = prefix + path.format(**ids)
        kwargs: dict = {"headers": dict(headers)}
        if isinstance(body, dict):
            kwargs["json"] = body
        elif isinstance(body, tuple):
            ctype, data = body
            kwargs["data"] = simple_form("media", data, logo=True) if data == "v3" else data
            kwargs["headers"]["Content-Type"] = ctype
        response = client.open(url, method=method, **kwargs)
        what = f"{role}/{side}: {method} {path} -> {response.status_code} {response.data[:200]}"
        if category in allowed:
            assert response.status_code == 200, what
        else:
            assert response.status_code in (403, 404), what
            assert int(response.get_json()["code"]) in (403, 404), what
            assert b"media" not in response.data and b"logo" not in response.data, what

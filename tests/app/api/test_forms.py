"""Forms REST API in Central's dialect: create, list, get, XML, drafts, publish, versions."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import Form, FormVersion
from tests.app.api.workbooks import XLSX, simple_form
from tests.conftest import FIXTURE_FORMS

FORM_FIELDS = {"projectId", "xmlFormId", "name", "version", "hash", "state", "enketoId",
               "keyId", "createdAt", "updatedAt", "publishedAt", "sdg", "smsKeyword"}


def upload(client, headers, project_id, data, *, publish=False, ctype=XLSX, **params):
    query = {"publish": "true" if publish else "false", **params}
    return client.post(f"/v1/projects/{project_id}/forms", data=data, query_string=query,
                       headers={**headers, "Content-Type": ctype})


def test_upload_creates_a_draft_with_central_fields(client, admin_headers, make_project):
    pid = make_project()
    response = upload(client, admin_headers, pid, simple_form("census", "2024"))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert FORM_FIELDS <= set(body)
    assert (body["xmlFormId"], body["version"], body["publishedAt"]) == ("census", "2024", None)
    assert body["state"] == "open" and body["enketoId"] is None
    form = db.session.scalar(select(Form).where(Form.xml_form_id == "census"))
    assert form.current_version_id is None and form.draft_version_id is not None


def test_publish_true_publishes_at_once_and_xml_is_served(client, admin_headers, make_project):
    pid = make_project()
    body = upload(client, admin_headers, pid, simple_form("census"), publish=True).get_json()
    assert body["publishedAt"] is not None
    xml = client.get(f"/v1/projects/{pid}/forms/census.xml", headers=admin_headers)
    assert xml.status_code == 200 and xml.mimetype == "application/xml"
    version = db.session.scalar(select(FormVersion).where(FormVersion.version == "1"))
    assert xml.data == version.xml.encode() and body["hash"] == version.hash


def test_fixture_form_carries_sdg_mapping_and_sms_keyword(client, admin_headers, make_project):
    pid = make_project()
    data = (FIXTURE_FORMS / "water_point.xlsx").read_bytes()
    body = upload(client, admin_headers, pid, data, publish=True,
                  ignoreWarnings="true").get_json()
    assert body["smsKeyword"] == "MAJI"
    assert body["sdg"]["form"] and body["sdg"]["questions"]
    got = client.get(f"/v1/projects/{pid}/forms/water_point", headers=admin_headers).get_json()
    assert got["sdg"] == body["sdg"]


def test_list_extended_metadata_adds_counts(client, admin_headers, make_project):
    pid = make_project()
    upload(client, admin_headers, pid, simple_form("a"), publish=True)
    upload(client, admin_headers, pid, simple_form("b"))
    plain = client.get(f"/v1/projects/{pid}/forms", headers=admin_headers)
    assert plain.headers["X-Total-Count"] == "2"
    assert [f["xmlFormId"] for f in plain.get_json()] == ["a", "b"]
    rich = client.get(f"/v1/projects/{pid}/forms",
                      headers={**admin_headers, "X-Extended-Metadata": "true"}).get_json()
    assert rich[0]["submissions"] == 0 and rich[0]["lastSubmission"] is None
    assert rich[0]["createdBy"]["displayName"] == "admin@example.org"


def test_fallback_header_names_a_form_without_id(client, admin_headers, make_project):
    from tests.app.api.workbooks import xlsform

    pid = make_project()
    data = xlsform([{"type": "text", "name": "q", "label": "Q"}])
    response = client.post(f"/v1/projects/{pid}/forms", data=data,
                           headers={**admin_headers, "Content-Type": XLSX,
                                    "X-XlsForm-FormId-Fallback": "my%20survey"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["xmlFormId"] == "my survey"


def test_duplicate_form_id_is_409(client, admin_headers, make_project):
    pid = make_project()
    upload(client, admin_headers, pid, simple_form("a"))
    response = upload(client, admin_headers, pid, simple_form("a"))
    assert response.status_code == 409 and response.get_json()["code"] == 409.3


def test_new_draft_publish_keeps_old_version_readable(client, admin_headers, make_project):
    pid = make_project()
    base = f"/v1/projects/{pid}/forms/census"
    upload(client, admin_headers, pid, simple_form("census", "1"), publish=True)
    response = client.post(f"{base}/draft", data=simple_form("census", "2", questions=3),
                           headers={**admin_headers, "Content-Type": XLSX})
    assert response.get_json() == {"success": True}
    assert client.get(f"{base}/draft", headers=admin_headers).get_json()["version"] == "2"
    assert client.get(base, headers=admin_headers).get_json()["version"] == "1"
    assert client.post(f"{base}/draft/publish", headers=admin_headers).status_code == 200
    assert client.get(base, headers=admin_headers).get_json()["version"] == "2"
    versions = client.get(f"{base}/versions", headers=admin_headers).get_json()
    assert [v["version"] for v in versions] == ["2", "1"]
    old = client.get(f"{base}/versions/1.xml", headers=admin_headers)
    assert old.status_code == 200 and b"q3" not in old.data
    assert client.get(f"{base}/versions/1", headers=admin_headers).get_json()["version"] == "1"
    assert client.get(f"{base}/draft", headers=admin_headers).status_code == 404


def test_publish_with_used_version_is_409_6_and_version_param_rewrites(
        client, admin_headers, make_project):
    pid = make_project()
    base = f"/v1/projects/{pid}/forms/census"
    upload(client, admin_headers, pid, simple_form("census", "1"), publish=True)
    assert client.post(f"{base}/draft", headers=admin_headers).status_code == 200
    clash = client.post(f"{base}/draft/publish", headers=admin_headers)
    assert clash.status_code == 409 and clash.get_json()["code"] == 409.6
    ok = client.post(f"{base}/draft/publish?version=1.1", headers=admin_headers)
    assert ok.status_code == 200
    xml = client.get(f"{base}.xml", headers=admin_headers).data
    assert b'version="1.1"' in xml


def test_draft_for_another_form_id_is_refused(client, admin_headers, make_project):
    pid = make_project()
    upload(client, admin_headers, pid, simple_form("census"), publish=True)
    response = client.post(f"/v1/projects/{pid}/forms/census/draft", data=simple_form("other"),
                           headers={**admin_headers, "Content-Type": XLSX})
    assert response.status_code == 400 and response.get_json()["code"] == 400.8


def test_patch_state_and_delete(client, admin_headers, make_project):
    pid = make_project()
    base = f"/v1/projects/{pid}/forms/census"
    upload(client, admin_headers, pid, simple_form("census"), publish=True)
    closed = client.patch(base, json={"state": "closed"}, headers=admin_headers)
    assert closed.get_json()["state"] == "closed"
    bad = client.patch(base, json={"state": "gone"}, headers=admin_headers)
    assert bad.status_code == 400
    assert client.delete(base, headers=admin_headers).get_json() == {"success": True}
    assert client.get(base, headers=admin_headers).status_code == 404


def test_xlsx_download_returns_the_uploaded_workbook(client, admin_headers, make_project):
    pid = make_project()
    data = simple_form("census")
    upload(client, admin_headers, pid, data, publish=True)
    response = client.get(f"/v1/projects/{pid}/forms/census.xlsx", headers=admin_headers)
    assert response.status_code == 200 and response.data == data
    assert client.get(f"/v1/projects/{pid}/forms/census.xls",
                      headers=admin_headers).status_code == 404


def test_deleting_the_draft_of_a_never_published_form_is_409_7(
        client, admin_headers, make_project):
    pid = make_project()
    upload(client, admin_headers, pid, simple_form("census"))
    response = client.delete(f"/v1/projects/{pid}/forms/census/draft", headers=admin_headers)
    assert response.status_code == 409 and response.get_json()["code"] == 409.7


def test_data_collector_sees_open_and_closing_forms_not_closed(
        client, admin_headers, make_project, make_user, login):
    pid = make_project()
    for name, state in (("a", "open"), ("b", "closing"), ("c", "closed")):
        upload(client, admin_headers, pid, simple_form(name), publish=True)
        client.patch(f"/v1/projects/{pid}/forms/{name}", json={"state": state},
                     headers=admin_headers)
    upload(client, admin_headers, pid, simple_form("d"))  # a draft only
    make_user("fill@example.org", roles={pid: "formfill"})
    make_user("view@example.org", roles={pid: "viewer"})
    fill, view = login("fill@example.org"), login("view@example.org")
    listed = client.get(f"/v1/projects/{pid}/forms", headers=fill).get_json()
    assert [f["xmlFormId"] for f in listed] == ["a", "b"]
    assert client.get(f"/v1/projects/{pid}/forms/c", headers=fill).status_code == 404
    viewed = client.get(f"/v1/projects/{pid}/forms", headers=view).get_json()
    assert [f["xmlFormId"] for f in viewed] == ["a", "b", "c"]
    assert client.get(f"/v1/projects/{pid}/forms/d", headers=view).status_code == 404


def test_fields_list_paths_types_and_binary_like_central(
        client, admin_headers, make_project, publish_fixture):
    pid = make_project()
    publish_fixture(pid, "sdg5_safety")
    fields = client.get(f"/v1/projects/{pid}/forms/sdg5_safety/fields",
                        headers=admin_headers).get_json()
    by_type = {f["type"] for f in fields}
    assert {"structure", "repeat", "string", "int"} <= by_type
    assert all(f["path"].startswith("/") and not f["path"].startswith("/data/")
               for f in fields)
    assert any(f["selectMultiple"] for f in fields)
    assert {"/meta", "/meta/instanceID"} <= {f["path"] for f in fields}
    kinds = {f["path"]: f["type"] for f in fields}
    assert [f["path"] for f in fields][:3] == ["/consent", "/safe_now", "/survey"]
    assert (kinds["/survey"], kinds["/survey/child"], kinds["/survey/child/child_age"]) == (
        "structure", "repeat", "int")


def test_extended_metadata_counts_submissions_and_review_states(
        client, admin_headers, site_form):
    from tests.openrosa.fixtures import site_instance

    pid = site_form.project_id
    base = f"/v1/projects/{pid}/forms/site_photos"
    for n in (1, 2, 3):
        response = client.post(f"{base}/submissions", data=site_instance(f"uuid:s{n}"),
                               headers={**admin_headers, "Content-Type": "application/xml"})
        assert response.status_code == 200, response.get_json()
    client.patch(f"{base}/submissions/uuid:s2", json={"reviewState": "hasIssues"},
                 headers=admin_headers)
    rich = {**admin_headers, "X-Extended-Metadata": "true"}
    listed = client.get(f"/v1/projects/{pid}/forms", headers=rich).get_json()
    one = client.get(base, headers=rich).get_json()
    for body in (listed[0], one):
        assert body["submissions"] == 3 and body["lastSubmission"] is not None
        assert body["reviewStates"] == {"received": 2, "hasIssues": 1, "edited": 0}


def test_conversation_settings_are_stored_with_the_version_and_carried_to_a_new_draft(
        client, admin_headers, make_project):
    from tests.app.api.workbooks import xlsform

    pid = make_project()
    data = xlsform([{"type": "select_one yn", "name": "ok", "label": "Agree?"},
                    {"type": "text", "name": "t", "label": "Tell us"}],
                   choices=[{"list_name": "yn", "name": "yes", "label": "Yes"},
                            {"list_name": "yn", "name": "no", "label": "No"}],
                   settings={"form_id": "talk", "version": "1", "consent": "ok",
                             "sensitive": "yes", "sms_progress": "yes"})
    assert upload(client, admin_headers, pid, data, publish=True).status_code == 200
    assert client.post(f"/v1/projects/{pid}/forms/talk/draft",
                       headers=admin_headers).status_code == 200  # a draft from the current
    stored = db.session.scalars(select(FormVersion.conversation)).all()
    assert stored == [{"consent": [{"path": "/data/ok", "agree": "yes"}], "sensitive": True,
                       "smsProgress": True}] * 2


def test_a_consent_setting_naming_no_question_is_a_400_naming_the_cell(
        client, admin_headers, make_project):
    response = upload(client, admin_headers, make_project(),
                      simple_form("census", consent="agree"))
    assert response.status_code == 400
    details = response.get_json()["details"]
    assert (details["sheet"], details["row"], details["column"]) == ("settings", 2, "consent")

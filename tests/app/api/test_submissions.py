"""Submissions over REST in ODK Central's dialect."""
from __future__ import annotations

import pytest

from app.extensions import db
from app.models import Audit
from tests.openrosa.fixtures import jpeg, png, site_instance
from tests.openrosa.helpers import post_submission

URL = "/v1/projects/{pid}/forms/site_photos/submissions"


@pytest.fixture
def manager(site_form, make_user, login):
    make_user("manager@example.org", roles={site_form.project_id: "manager"})
    return login("manager@example.org")


@pytest.fixture
def url(site_form):
    return URL.format(pid=site_form.project_id)


def _create(client, url, headers, xml):
    return client.post(url, data=xml, content_type="application/xml", headers=headers)


def test_create_from_xml_returns_the_submission_in_centrals_fields(client, url, manager):
    response = _create(client, url, manager, site_instance("uuid:r1", photo="a.jpg"))
    assert response.status_code == 200
    body = response.get_json()
    assert body["instanceId"] == "uuid:r1" and body["reviewState"] is None
    assert body["createdAt"].endswith("Z") and isinstance(body["submitterId"], int)
    assert (body["attachmentsPresent"], body["attachmentsExpected"]) == (0, 1)


def test_create_refuses_other_content_types_and_other_forms(client, url, manager):
    assert client.post(url, data=b"x", content_type="text/plain",
                       headers=manager).status_code == 415
    response = _create(client, url, manager, site_instance("uuid:o", form_id="other"))
    assert response.status_code == 400 and response.get_json()["code"] == 400.8


def test_list_is_paged_with_top_and_skip_and_counts_the_total(client, url, manager):
    for n in range(5):
        _create(client, url, manager, site_instance(f"uuid:p{n}"))
    page = client.get(f"{url}?$top=2&$skip=1", headers=manager)
    assert page.headers["X-Total-Count"] == "5"
    assert [s["instanceId"] for s in page.get_json()] == ["uuid:p3", "uuid:p2"]
    assert len(client.get(f"{url}?limit=3&offset=3", headers=manager).get_json()) == 2


def test_get_and_xml_return_the_current_version(client, url, manager):
    xml = site_instance("uuid:g")
    _create(client, url, manager, xml)
    assert client.get(f"{url}/uuid:g", headers=manager).get_json()["instanceId"] == "uuid:g"
    raw = client.get(f"{url}/uuid:g.xml", headers=manager)
    assert raw.data == xml and raw.mimetype == "application/xml"
    assert client.get(f"{url}/uuid:none", headers=manager).status_code == 404


def test_edit_needs_a_deprecated_id_and_keeps_versions(client, url, manager):
    _create(client, url, manager, site_instance("uuid:e1"))
    missing = client.put(f"{url}/uuid:e1", data=site_instance("uuid:e2"),
                         content_type="application/xml", headers=manager)
    assert missing.status_code == 400 and missing.get_json()["code"] == 400.19
    edited = client.put(f"{url}/uuid:e1", data=site_instance("uuid:e2", site="New",
                                                               deprecated_id="uuid:e1"),
                        content_type="application/xml", headers=manager)
    assert edited.status_code == 200
    assert edited.get_json()["reviewState"] == "edited"
    assert edited.get_json()["currentVersion"]["instanceId"] == "uuid:e2"
    versions = client.get(f"{url}/uuid:e1/versions", headers=manager).get_json()
    assert [(v["instanceId"], v["current"]) for v in versions] == [
        ("uuid:e2", True), ("uuid:e1", False)]
    stale = client.put(f"{url}/uuid:e1", data=site_instance("uuid:e3", deprecated_id="uuid:e1"),
                       content_type="application/xml", headers=manager)
    assert stale.status_code == 409 and stale.get_json()["code"] == 409.9


def test_review_state_is_set_and_audited_and_checked(client, url, manager):
    _create(client, url, manager, site_instance("uuid:v"))
    response = client.patch(f"{url}/uuid:v", json={"reviewState": "approved"}, headers=manager)
    assert response.get_json()["reviewState"] == "approved"
    audit = db.session.scalar(db.select(Audit).where(Audit.action == "submission.update"))
    # Central's details: which submission and version, and the new state.
    assert audit.details == {"reviewState": "approved", "instanceId": "uuid:v",
                             "submissionId": audit.submission_id,
                             "submissionDefId": audit.details["submissionDefId"]}
    bad = client.patch(f"{url}/uuid:v", json={"reviewState": "great"}, headers=manager)
    assert bad.status_code == 400


def test_attachments_list_upload_and_download(client, url, manager, site_form, make_app_user):
    _, token = make_app_user(site_form.project_id, [site_form])
    xml = site_instance("uuid:a", photo="a.jpg", closeup="b.png")
    post_submission(client, f"/v1/key/{token}/projects/{site_form.project_id}", xml,
                    {"a.jpg": jpeg()})
    listed = client.get(f"{url}/uuid:a/attachments", headers=manager).get_json()
    assert listed == [{"name": "a.jpg", "exists": True}, {"name": "b.png", "exists": False}]
    assert client.post(f"{url}/uuid:a/attachments/b.png", data=png(),
                       content_type="image/png", headers=manager).get_json() == \
        {"success": True}
    download = client.get(f"{url}/uuid:a/attachments/b.png", headers=manager)
    assert download.data == png() and download.mimetype == "image/png"
    assert client.post(f"{url}/uuid:a/attachments/zzz.png", data=png(),
                       content_type="image/png", headers=manager).status_code == 404
    body = client.get(f"{url}/uuid:a", headers=manager).get_json()
    assert (body["attachmentsPresent"], body["attachmentsExpected"]) == (2, 2)


def test_comments_are_listed_newest_first(client, url, manager):
    _create(client, url, manager, site_instance("uuid:c"))
    for text in ("first", "second"):
        assert client.post(f"{url}/uuid:c/comments", json={"body": text},
                           headers=manager).status_code == 200
    comments = client.get(f"{url}/uuid:c/comments", headers=manager).get_json()
    assert [c["body"] for c in comments] == ["second", "first"]


def test_a_viewer_reads_but_cannot_review_and_a_data_collector_cannot_read(
        client, url, manager, site_form, make_user, login):
    _create(client, url, manager, site_instance("uuid:roles"))
    make_user("viewer@example.org", roles={site_form.project_id: "viewer"})
    make_user("collector@example.org", roles={site_form.project_id: "formfill"})
    viewer, collector = login("viewer@example.org"), login("collector@example.org")
    assert client.get(url, headers=viewer).status_code == 200
    assert client.patch(f"{url}/uuid:roles", json={"reviewState": "approved"},
                        headers=viewer).status_code == 403
    assert client.get(url, headers=collector).status_code == 403

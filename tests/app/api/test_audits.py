"""The audit log as Central serves it: GET /v1/audits (admins) with action/start/end/limit/
offset and extended metadata; a submission's own log; review and comments audited."""
from __future__ import annotations

import pytest

from tests.helpers import logged_in_pyodk
from tests.openrosa.fixtures import jpeg, site_instance

URL = "/v1/projects/{pid}/forms/site_photos/submissions"


@pytest.fixture
def manager(site_form, make_user, login):
    user = make_user("manager@example.org", roles={site_form.project_id: "manager"})
    return login("manager@example.org"), user.actor_id


@pytest.fixture
def url(site_form):
    return URL.format(pid=site_form.project_id)


def _history(client, url, headers):
    """A submission created, edited, reviewed, commented on and given a file, by the manager."""
    post = {"content_type": "application/xml", "headers": headers}
    assert client.post(url, data=site_instance("uuid:a1", photo="a.jpg"), **post).status_code \
        == 200
    assert client.put(f"{url}/uuid:a1", data=site_instance(
        "uuid:a2", site="Edited", photo="a.jpg", deprecated_id="uuid:a1"), **post).status_code \
        == 200
    assert client.patch(f"{url}/uuid:a1", json={"reviewState": "hasIssues"},
                        headers=headers).status_code == 200
    assert client.post(f"{url}/uuid:a1/comments", json={"body": "photo is blurred"},
                       headers=headers).status_code == 200
    assert client.post(f"{url}/uuid:a1/attachments/a.jpg", data=jpeg(),
                       content_type="image/jpeg", headers=headers).status_code == 200


def test_a_submissions_log_says_who_did_what_when(client, url, manager, site_form, make_user,
                                                  login):
    headers, actor_id = manager
    _history(client, url, headers)
    response = client.get(f"{url}/uuid:a1/audits", headers=headers)
    assert response.status_code == 200
    log = response.get_json()
    assert [e["action"] for e in log] == [
        "submission.attachment.update", "comment.create", "submission.update",
        "submission.update.version", "submission.create"]
    assert all(e["actorId"] == actor_id for e in log)
    assert all(set(e) == {"id", "actorId", "action", "acteeId", "details", "notes", "loggedAt"}
               for e in log)
    assert len({e["acteeId"] for e in log}) == 1  # the form
    assert [e["loggedAt"] for e in log] == sorted((e["loggedAt"] for e in log), reverse=True)
    by_action = {e["action"]: e["details"] for e in log}
    assert by_action["submission.update"]["reviewState"] == "hasIssues"
    assert by_action["submission.update"]["instanceId"] == "uuid:a2"
    assert by_action["submission.update.version"]["instanceId"] == "uuid:a2"
    assert by_action["submission.update.version"]["deprecatedId"] == "uuid:a1"
    assert by_action["submission.create"]["instanceId"] == "uuid:a1"
    assert by_action["comment.create"]["commentId"] > 0
    assert by_action["submission.attachment.update"]["name"] == "a.jpg"

    extended = client.get(f"{url}/uuid:a1/audits?limit=2&offset=1",
                          headers={**headers, "X-Extended-Metadata": "true"}).get_json()
    assert [e["action"] for e in extended] == ["comment.create", "submission.update"]
    assert extended[0]["actor"]["displayName"] and extended[0]["actor"]["id"] == actor_id
    assert extended[0]["actee"]["xmlFormId"] == "site_photos"

    make_user("viewer@example.org", roles={site_form.project_id: "viewer"})
    make_user("collector@example.org", roles={site_form.project_id: "formfill"})
    assert client.get(f"{url}/uuid:a1/audits",
                      headers=login("viewer@example.org")).status_code == 200
    assert client.get(f"{url}/uuid:a1/audits",
                      headers=login("collector@example.org")).status_code == 403
    assert client.get(f"{url}/uuid:nope/audits", headers=headers).status_code == 404


def test_server_log_filters_pages_and_is_for_admins(client, url, manager, admin_headers):
    headers, actor_id = manager
    _history(client, url, headers)
    everything = client.get("/v1/audits", headers=admin_headers).get_json()
    actions = [e["action"] for e in everything]
    assert actions[:5] == ["submission.attachment.update", "comment.create",
                           "submission.update", "submission.update.version",
                           "submission.create"]
    assert "form.create" in actions
    only = client.get("/v1/audits?action=submission.update", headers=admin_headers).get_json()
    assert [e["action"] for e in only] == ["submission.update"]
    assert only[0]["details"]["reviewState"] == "hasIssues" and only[0]["id"] > 0
    group = client.get("/v1/audits?action=submission", headers=admin_headers).get_json()
    assert {e["action"] for e in group} == {"submission.attachment.update", "comment.create",
                                            "submission.update", "submission.update.version",
                                            "submission.create"}
    quiet = client.get("/v1/audits?action=nonverbose", headers=admin_headers).get_json()
    assert not {e["action"] for e in quiet} & {"submission.create", "submission.update"}
    assert "form.create" in {e["action"] for e in quiet}
    form_group = client.get("/v1/audits?action=form", headers=admin_headers).get_json()
    assert {e["action"] for e in form_group} <= {"form.create", "form.update.publish"}

    page = client.get("/v1/audits?limit=2&offset=1", headers=admin_headers).get_json()
    assert [e["action"] for e in page] == actions[1:3]
    assert client.get("/v1/audits?start=2000-01-01z", headers=admin_headers).get_json() \
        == everything
    assert client.get("/v1/audits?start=2999-01-01T00:00:00%2B08",
                      headers=admin_headers).get_json() == []
    assert client.get("/v1/audits?end=2000-01-01", headers=admin_headers).get_json() == []
    newest = everything[0]["loggedAt"]
    assert client.get(f"/v1/audits?end={newest}", headers=admin_headers).get_json() \
        == everything[1:]  # end is exclusive
    assert client.get(f"/v1/audits?start={newest}", headers=admin_headers).get_json() \
        == everything[:1]  # start is inclusive

    bad = client.get("/v1/audits?start=yesterday", headers=admin_headers)
    assert bad.status_code == 400 and bad.get_json()["details"]["field"] == "start"
    assert client.get("/v1/audits?limit=-1", headers=admin_headers).status_code == 400
    assert client.get("/v1/audits", headers=headers).status_code == 403
    assert client.get("/v1/audits").status_code == 401
    extended = client.get("/v1/audits?action=submission.update",
                          headers={**admin_headers, "X-Extended-Metadata": "true"}).get_json()
    assert extended[0]["actor"]["id"] == actor_id


def test_review_states_are_centrals(client, url, manager):
    headers, _ = manager
    client.post(url, data=site_instance("uuid:s1"), content_type="application/xml",
                headers=headers)
    for state in ("hasIssues", "edited", "approved", "rejected"):
        response = client.patch(f"{url}/uuid:s1", json={"reviewState": state}, headers=headers)
        assert response.get_json()["reviewState"] == state
    for bad in ("received", "needsReview", "ok"):
        response = client.patch(f"{url}/uuid:s1", json={"reviewState": bad}, headers=headers)
        assert response.status_code == 400 and response.get_json()["code"] == 400.8
    empty = client.post(f"{url}/uuid:s1/comments", json={"body": "   "}, headers=headers)
    assert empty.status_code == 400


def test_pyodk_review_and_comment_land_in_the_submissions_log(live_server, site_form,
                                                              make_user, tmp_path):
    user = make_user("analyst@example.org", roles={site_form.project_id: "manager"})
    with logged_in_pyodk(live_server.url, "analyst@example.org", site_form.project_id, tmp_path,
                         project_id=site_form.project_id) as client:
        client.submissions.default_form_id = "site_photos"
        client.submissions.create(xml=site_instance("uuid:p1").decode())
        client.submissions.review("uuid:p1", "approved", comment="checked on site")
        response = client.session.get(
            f"projects/{site_form.project_id}/forms/site_photos/submissions/uuid:p1/audits")
        assert response.status_code == 200
        log = response.json()
    assert [(e["action"], e["actorId"]) for e in log] == [
        ("comment.create", user.actor_id), ("submission.update", user.actor_id),
        ("submission.create", user.actor_id)]
    assert log[1]["details"]["reviewState"] == "approved"

"""The central server's side of up-sync (our /sync extension): batches through sync.ingest,
resumable uploads, conflicts kept and resolved. Through the test client, on both databases."""
from __future__ import annotations

import gzip
import hashlib
import json
from datetime import datetime

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Comment, Submission, SubmissionDef, SyncConflict
from app.services import sync_links
from sync.ingest import ingest
from tests.openrosa.fixtures import jpeg, site_instance


@pytest.fixture
def link(app, site_form):
    _, token = sync_links.create_link(site_form.project_id, "Turkana office", None)
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


def _base(form) -> str:
    return f"/v1/projects/{form.project_id}/sync"


def _item(xml: bytes, key: int = 1, files=(), **extra) -> dict:
    return {"kind": "submission", "key": key, "xmlFormId": "site_photos", "xml": xml.decode(),
            "channel": "sms", "deviceId": "collect:A", "receivedAt": "2026-11-03T08:15:00.123456Z",
            "submitter": {"id": 7, "name": "Amina's phone"},
            "attachments": [{"name": n, "sha256": hashlib.sha256(d).hexdigest(), "size": len(d)}
                            for n, d in files], **extra}


def _batch(client, form, link, items, cursor=1):
    response = client.post(f"{_base(form)}/batches", headers=link,
                           json={"cursor": cursor, "items": items})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["results"]


def _upload(client, form, link, data: bytes, chunk: int = 1000):
    sha = hashlib.sha256(data).hexdigest()
    for start in range(0, len(data), chunk):
        piece = data[start:start + chunk]
        response = client.put(f"{_base(form)}/uploads/{sha}", headers={
            **link, "Content-Range": f"bytes {start}-{start + len(piece) - 1}/{len(data)}"},
            data=piece)
        assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_a_version_is_stored_once_with_its_original_time_channel_and_submitter(
        client, site_form, link):
    xml = site_instance("uuid:s1")
    first = _batch(client, site_form, link, [_item(xml)])
    again = _batch(client, site_form, link, [_item(xml)])
    assert (first[0]["status"], again[0]["status"]) == ("created", "duplicate")
    submission = db.session.scalar(select(Submission))
    assert submission.channel == "sms" and submission.device_id == "collect:A"
    assert submission.created_at.isoformat() == "2026-11-03T08:15:00.123456+00:00"
    version = db.session.scalar(select(SubmissionDef))
    from app.models import Actor

    assert db.session.get(Actor, version.submitter_id).display_name == "Amina's phone"
    assert db.session.scalar(select(func.count(Submission.id))) == 1


def test_a_version_waits_for_its_files_which_resume_from_the_last_confirmed_chunk(
        client, site_form, link):
    photo = jpeg(5000)
    xml = site_instance("uuid:s2", photo="p.jpg")
    answer = _batch(client, site_form, link, [_item(xml, files=[("p.jpg", photo)])])
    sha = hashlib.sha256(photo).hexdigest()
    assert answer[0] == {"status": "missing", "missing": [sha], "key": 1}
    assert db.session.scalar(select(func.count(Submission.id))) == 0  # nothing half-stored
    url = f"{_base(site_form)}/uploads/{sha}"
    first = client.put(url, headers={**link, "Content-Range": f"bytes 0-1999/{len(photo)}"},
                       data=photo[:2000])
    assert first.get_json()["received"] == 2000
    status = client.get(f"{url}?size={len(photo)}", headers=link).get_json()
    assert status == {"sha256": sha, "size": len(photo), "received": 2000, "complete": False}
    wrong = client.put(url, headers={**link, "Content-Range": f"bytes 0-999/{len(photo)}"},
                       data=photo[:1000])
    assert wrong.status_code == 409 and wrong.get_json()["details"]["received"] == 2000
    rest = client.put(url, headers={
        **link, "Content-Range": f"bytes 2000-{len(photo) - 1}/{len(photo)}"}, data=photo[2000:])
    assert rest.get_json()["complete"] is True
    stored = _batch(client, site_form, link, [_item(xml, files=[("p.jpg", photo)])])
    assert stored[0]["status"] == "created" and stored[0]["attachments"] == 1
    response = client.get(f"/v1/projects/{site_form.project_id}/forms/site_photos/submissions/"
                          "uuid:s2/attachments/p.jpg", headers=link)
    assert response.data == photo


def test_an_upload_whose_bytes_do_not_match_their_sha256_is_refused_and_dropped(
        client, site_form, link):
    photo = jpeg(3000)
    sha = hashlib.sha256(b"something else").hexdigest()
    url = f"{_base(site_form)}/uploads/{sha}"
    response = client.put(url, headers={**link, "Content-Range": "bytes 0-2999/3000"},
                          data=photo)
    assert response.status_code == 400 and "sha256" in response.get_json()["message"]
    assert client.get(f"{url}?size=3000", headers=link).get_json()["received"] == 0


def test_a_chunk_announcing_other_bytes_than_it_carries_is_400(client, site_form, link):
    sha = hashlib.sha256(b"x" * 10).hexdigest()
    response = client.put(f"{_base(site_form)}/uploads/{sha}", data=b"x" * 5, headers={
        **link, "Content-Range": "bytes 0-9/10"})
    assert response.status_code == 400 and "Content-Range" in response.get_json()["message"]
    missing = client.put(f"{_base(site_form)}/uploads/{sha}", data=b"x", headers=link)
    assert missing.status_code == 400


def test_a_file_the_server_already_has_needs_no_upload(client, site_form, link):
    photo = jpeg(4000)
    ingest(project_id=site_form.project_id, xml=site_instance("uuid:o", photo="p.jpg"),
           attachments={"p.jpg": photo}, channel="collect", submitter_id=None, device_id=None)
    sha = hashlib.sha256(photo).hexdigest()
    status = client.get(f"{_base(site_form)}/uploads/{sha}?size=4000", headers=link).get_json()
    assert status["complete"] is True
    xml = site_instance("uuid:s3", photo="p.jpg")
    assert _batch(client, site_form, link, [_item(xml, files=[("p.jpg", photo)])])[0][
        "status"] == "created"


def test_a_batch_sent_again_after_its_edit_reports_duplicates_not_conflicts(
        client, site_form, link):
    original = site_instance("uuid:a")
    edit = site_instance("uuid:b", site="Mathare", deprecated_id="uuid:a")
    items = [_item(original, 1), _item(edit, 2)]
    assert [r["status"] for r in _batch(client, site_form, link, items)] == ["created", "edited"]
    assert [r["status"] for r in _batch(client, site_form, link, items)] == \
        ["duplicate", "duplicate"]
    assert db.session.scalar(select(func.count(SubmissionDef.id))) == 2


def test_same_instance_id_with_other_xml_is_a_conflict_kept_not_overwritten(
        client, site_form, link):
    ingest(project_id=site_form.project_id, xml=site_instance("uuid:c", site="Central"),
           attachments={}, channel="collect", submitter_id=None, device_id=None)
    field = site_instance("uuid:c", site="Field")
    first = _batch(client, site_form, link, [_item(field)])[0]
    again = _batch(client, site_form, link, [_item(field)])[0]
    assert first["status"] == again["status"] == "conflict"
    assert first["conflict"]["id"] == again["conflict"]["id"]
    assert first["conflict"]["reason"] == "xml" and "Central" in first["conflict"]["centralXml"]
    assert "Central" in db.session.scalar(select(SubmissionDef.xml))
    conflict = db.session.scalar(select(SyncConflict))
    assert "Field" in conflict.other_xml and conflict.other_meta["channel"] == "sms"


def test_both_sides_editing_the_same_version_is_a_conflict_and_so_are_its_later_edits(
        client, site_form, link):
    original = site_instance("uuid:d")
    assert _batch(client, site_form, link, [_item(original)])[0]["status"] == "created"
    ingest(project_id=site_form.project_id, xml=site_instance(
        "uuid:central-edit", site="Central", deprecated_id="uuid:d"), attachments={},
        channel="api", submitter_id=None, device_id=None)
    field_edit = site_instance("uuid:field-edit", site="Field", deprecated_id="uuid:d")
    later = site_instance("uuid:field-edit-2", site="Field 2", deprecated_id="uuid:field-edit")
    results = _batch(client, site_form, link, [_item(field_edit, 1), _item(later, 2)])
    assert [(r["status"], r["conflict"]["reason"]) for r in results] == \
        [("conflict", "edit"), ("conflict", "chain")]


def test_review_states_and_comments_arrive_once(client, site_form, link):
    _batch(client, site_form, link, [_item(site_instance("uuid:r"))])
    review = {"kind": "review", "key": 10, "xmlFormId": "site_photos", "instanceId": "uuid:r",
              "reviewState": "approved"}
    comment = {"kind": "comment", "key": 33, "xmlFormId": "site_photos", "instanceId": "uuid:r",
               "body": "Seen at the office", "author": {"id": 4, "name": "Office head"},
               "createdAt": "2026-11-04T10:00:00Z"}
    for _ in range(2):
        assert [r["status"] for r in _batch(client, site_form, link, [review, comment])] == \
            ["ok", "ok"]
    assert db.session.scalar(select(Submission.review_state)) == "approved"
    comments = db.session.scalars(select(Comment)).all()
    assert [c.body for c in comments] == ["Seen at the office"]
    bad = _batch(client, site_form, link, [{**review, "reviewState": "great"},
                                           {**review, "instanceId": "uuid:none"}])
    assert [r["code"] for r in bad] == [400.11, 404.1]


def test_a_gzipped_batch_is_read_and_a_malformed_one_named(client, site_form, link):
    body = gzip.compress(json.dumps({"items": [_item(site_instance("uuid:z"))]}).encode())
    response = client.post(f"{_base(site_form)}/batches", data=body, headers={
        **link, "Content-Encoding": "gzip", "Content-Type": "application/json"})
    assert response.get_json()["results"][0]["status"] == "created"
    bad_gzip = client.post(f"{_base(site_form)}/batches", data=b"not gzip", headers={
        **link, "Content-Encoding": "gzip"})
    assert bad_gzip.status_code == 400
    not_list = client.post(f"{_base(site_form)}/batches", json={"items": 3}, headers=link)
    assert not_list.status_code == 400 and "items" in not_list.get_json()["message"]
    mixed = _batch(client, site_form, link, ["text", _item(b"<nope", 2)])
    assert [r["status"] for r in mixed] == ["error", "error"]
    assert mixed[1]["code"] == 400.1


def test_only_a_sync_link_may_push(client, site_form, admin_headers):
    assert client.get(_base(site_form), headers=admin_headers).status_code == 403
    assert client.post(f"{_base(site_form)}/batches", headers=admin_headers,
                       json={"items": []}).status_code == 403


# --- resolution -------------------------------------------------------------------------

def _conflicted(client, site_form, link, central_at: str, field_at: str):
    ingest(project_id=site_form.project_id, xml=site_instance("uuid:k", site="Central"),
           attachments={}, channel="collect", submitter_id=None, device_id=None)
    db.session.execute(SubmissionDef.__table__.update().values(
        created_at=datetime.fromisoformat(central_at + "T00:00:00+00:00")))
    db.session.commit()
    result = _batch(client, site_form, link, [_item(site_instance("uuid:k", site="Field"),
                                                    receivedAt=field_at + "T00:00:00Z")])[0]
    return result["conflict"]["id"]


def _resolve(client, site_form, headers, conflict_id, keep):
    return client.post(f"/v1/projects/{site_form.project_id}/sync-conflicts/{conflict_id}/"
                       "resolve", headers=headers, json={"keep": keep})


def _chain() -> list[str]:
    rows = db.session.execute(select(SubmissionDef.xml, SubmissionDef.current).order_by(
        SubmissionDef.id)).all()
    return [("Field" if "Field" in xml else "Central") + ("*" if current else "")
            for xml, current in rows]


def test_keep_central_changes_nothing_and_closes_the_conflict(client, site_form, link,
                                                              admin_headers):
    conflict_id = _conflicted(client, site_form, link, "2026-11-01", "2026-11-02")
    listed = client.get(f"/v1/projects/{site_form.project_id}/sync-conflicts?resolved=false",
                        headers=admin_headers).get_json()
    assert [c["id"] for c in listed] == [conflict_id]
    assert "Field" in listed[0]["versions"]["field"]["xml"]
    assert "Central" in listed[0]["versions"]["central"]["xml"]
    response = _resolve(client, site_form, admin_headers, conflict_id, "central")
    assert response.status_code == 200 and response.get_json()["resolution"] == "central"
    assert _chain() == ["Central*"]
    assert _resolve(client, site_form, admin_headers, conflict_id, "field").status_code == 409


def test_keep_field_makes_it_current_as_an_edit(client, site_form, link, admin_headers):
    conflict_id = _conflicted(client, site_form, link, "2026-11-03", "2026-11-02")
    assert _resolve(client, site_form, admin_headers, conflict_id, "field").status_code == 200
    assert _chain() == ["Central", "Field*"]


def test_keep_both_chains_them_in_the_order_received(client, site_form, link, admin_headers):
    conflict_id = _conflicted(client, site_form, link, "2026-11-03", "2026-11-02")
    assert _resolve(client, site_form, admin_headers, conflict_id, "both").status_code == 200
    # The field office's version came first: the central content, newer, stays current.
    assert _chain() == ["Central", "Field", "Central*"]


def test_a_link_cannot_resolve_and_keep_must_be_known(client, site_form, link, admin_headers):
    conflict_id = _conflicted(client, site_form, link, "2026-11-01", "2026-11-02")
    assert _resolve(client, site_form, link, conflict_id, "field").status_code == 403
    response = _resolve(client, site_form, admin_headers, conflict_id, "mine")
    assert response.status_code == 400 and "keep" in response.get_json()["message"]


def test_answers_to_a_link_travel_gzipped_when_it_asks(client, site_form, link):
    """The office's line is the slow part: the XForm and JSON it reads come compressed."""
    xform = f"/v1/projects/{site_form.project_id}/forms/site_photos.xml"
    plain = client.get(xform, headers=link)
    packed = client.get(xform, headers={**link, "Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.data) == plain.data
    assert len(packed.data) < len(plain.data) / 2
    assert "Accept-Encoding" in packed.headers["Vary"]
    small = client.get(f"/v1/projects/{site_form.project_id}/forms/site_photos/versions",
                       headers={**link, "Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in small.headers  # under 1 KB: not worth a gzip header

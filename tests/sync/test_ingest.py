"""sync.ingest, the one door: idempotent by (form, instanceID), one transaction, outbox, hook."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import create_engine, func, select, text

from app.extensions import db
from app.models import Blob, PipelineOutbox, Submission, SubmissionAttachment, SubmissionDef
from app.pipeline import dispatch
from app.services.storage import blob_path
from sync import errors
from sync.ingest import ingest
from tests.openrosa.fixtures import jpeg, png, site_instance


def _ingest(form, xml: bytes, files=None, **kwargs):
    return ingest(project_id=form.project_id, xml=xml, attachments=files or {},
                  channel=kwargs.pop("channel", "api"), submitter_id=None,
                  device_id=None, **kwargs)


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_new_then_repeat_then_more_files_then_edit(site_form):
    xml = site_instance("uuid:1", photo="a.jpg", closeup="b.png")
    first = _ingest(site_form, xml, {"a.jpg": jpeg()})
    assert (first.status, first.created, first.attachments_added) == ("created", True, ["a.jpg"])
    repeat = _ingest(site_form, xml)
    assert (repeat.status, repeat.created, repeat.submission_id) == \
        ("duplicate", False, first.submission_id)
    more = _ingest(site_form, xml, {"b.png": png()})
    assert (more.status, more.attachments_added) == ("attachments_added", ["b.png"])
    edit = _ingest(site_form, site_instance("uuid:2", deprecated_id="uuid:1"))
    assert (edit.status, edit.submission_id, edit.instance_id) == \
        ("edited", first.submission_id, "uuid:2")
    assert _count(PipelineOutbox) == 2  # one per created or edited version, none for repeats


def test_the_channel_and_the_flattened_columns_are_recorded(site_form):
    _ingest(site_form, site_instance("uuid:sms", site="Mathare", count=7), channel="sms")
    submission = db.session.scalar(select(Submission))
    version = db.session.scalar(select(SubmissionDef))
    assert submission.channel == "sms"
    assert {"Mathare", "7"} <= set(version.data["root"].values())


def test_form_id_named_by_the_url_must_match_the_xml(site_form):
    with pytest.raises(errors.FormIdMismatch):
        _ingest(site_form, site_instance("uuid:m"), form_id="other_form")


def test_a_refusal_writes_nothing(site_form):
    def refuse(_form):
        raise PermissionError("no")

    with pytest.raises(PermissionError):
        _ingest(site_form, site_instance("uuid:r", photo="a.jpg"), {"a.jpg": jpeg()},
                authorize=refuse)
    assert (_count(Submission), _count(SubmissionDef), _count(Blob)) == (0, 0, 0)


def test_every_committed_attachment_row_points_at_bytes_on_disk(site_form):
    photo = jpeg(5000)
    _ingest(site_form, site_instance("uuid:f", photo="a.jpg"), {"a.jpg": photo})
    blob = db.session.scalar(select(Blob).join(
        SubmissionAttachment, SubmissionAttachment.blob_id == Blob.id))
    assert blob_path(blob.sha256).read_bytes() == photo
    assert blob.content_type == "image/jpeg"


def test_the_pipeline_hook_gets_the_outbox_ids_after_the_commit(app, site_form, monkeypatch):
    seen = []

    def after_commit(outbox_ids, events=None):
        # a separate connection sees the rows: the commit has happened
        engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
        with engine.connect() as conn:
            seen.append((outbox_ids, events, conn.execute(
                text("SELECT count(*) FROM pipeline_outbox")).scalar()))
        engine.dispose()

    monkeypatch.setattr(dispatch, "after_commit", after_commit)
    result = _ingest(site_form, site_instance("uuid:h"))
    # the rows' events go along, so the pipeline need not read them back
    assert seen == [(result.outbox_ids, {result.outbox_ids[0]: "submission.created"}, 1)]
    _ingest(site_form, site_instance("uuid:h"))  # a repeat creates no outbox row, no call
    assert len(seen) == 1


def test_a_failing_pipeline_hook_does_not_fail_the_committed_submission(site_form,
                                                                        monkeypatch):
    def after_commit(_ids, events=None):
        raise ConnectionError("redis down")

    monkeypatch.setattr(dispatch, "after_commit", after_commit)
    assert _ingest(site_form, site_instance("uuid:down")).status == "created"
    assert _count(PipelineOutbox) == 1


def test_concurrent_posts_of_one_new_instance_give_one_row_and_all_201(
        live_server, site_form, make_app_user):
    _, token = make_app_user(site_form.project_id, [site_form])
    url = f"{live_server.url}/v1/key/{token}/projects/{site_form.project_id}/submission"
    xml = site_instance("uuid:race", photo="a.jpg")
    photo = jpeg()
    barrier = threading.Barrier(8)

    def post(_):
        barrier.wait()
        return requests.post(url, files={"xml_submission_file": ("s.xml", xml),
                                         "a.jpg": ("a.jpg", photo)}, timeout=60).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(post, range(8)))
    assert statuses == [201] * 8
    db.session.expire_all()
    assert (_count(Submission), _count(SubmissionDef), _count(PipelineOutbox)) == (1, 1, 1)
    assert _count(SubmissionAttachment) == 1


def test_concurrent_edits_of_one_version_leave_exactly_one_current(
        live_server, site_form, make_app_user):
    _, token = make_app_user(site_form.project_id, [site_form])
    url = f"{live_server.url}/v1/key/{token}/projects/{site_form.project_id}/submission"
    assert requests.post(url, files={"xml_submission_file": (
        "s.xml", site_instance("uuid:base"))}, timeout=30).status_code == 201
    barrier = threading.Barrier(4)

    def edit(n):
        barrier.wait()
        xml = site_instance(f"uuid:edit-{n}", site=f"E{n}", deprecated_id="uuid:base")
        return requests.post(url, files={"xml_submission_file": ("s.xml", xml)},
                             timeout=60).status_code

    with ThreadPoolExecutor(4) as pool:
        statuses = sorted(pool.map(edit, range(4)))
    assert statuses == [201, 409, 409, 409]
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).where(SubmissionDef.current.is_(True))) == 1


def test_an_overlong_instance_id_is_refused_as_bad_input(site_form):
    with pytest.raises(errors.Unparseable):
        _ingest(site_form, site_instance("uuid:" + "x" * 300))

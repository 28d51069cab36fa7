"""POST/HEAD submission: each case of issue 3's table, with ODK Central's statuses and messages."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    Form,
    PipelineOutbox,
    Submission,
    SubmissionAttachment,
    SubmissionDef,
)
from tests.openrosa.fixtures import SITE_XFORM, jpeg, png, publish_xform, site_instance
from tests.openrosa.helpers import assert_openrosa_headers, openrosa_message, post_submission


@pytest.fixture
def base(site_form, make_app_user):
    _, token = make_app_user(site_form.project_id, [site_form])
    return f"/v1/key/{token}/projects/{site_form.project_id}"


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _slots(instance_id: str) -> dict[str, bool]:
    rows = db.session.execute(
        select(SubmissionAttachment.name, SubmissionAttachment.blob_id)
        .join(SubmissionDef, SubmissionDef.id == SubmissionAttachment.submission_def_id)
        .where(SubmissionDef.instance_id == instance_id))
    return {name: blob_id is not None for name, blob_id in rows}


def test_head_submission_answers_204_with_accept_content_length(client, base, app):
    response = client.head(f"{base}/submission?deviceID=x")
    assert response.status_code == 204
    assert response.headers["X-OpenRosa-Version"] == "1.0"
    assert response.headers["Date"]
    assert int(response.headers["X-OpenRosa-Accept-Content-Length"]) == \
        app.config["MAX_SUBMISSION_BYTES"]


def test_new_instance_id_is_stored_and_answered_201_with_openrosa_response(client, base):
    xml = site_instance("uuid:new-1", photo="a.jpg", closeup="b.png")
    response = post_submission(client, base, xml, {"a.jpg": jpeg(), "b.png": png()})
    assert response.status_code == 201
    assert_openrosa_headers(response)
    assert "X-OpenRosa-Accept-Content-Length" in response.headers
    assert openrosa_message(response) == ("", "full submission upload was successful!")
    submission = db.session.scalar(select(Submission))
    assert (submission.instance_id, submission.channel, submission.device_id) == \
        ("uuid:new-1", "collect", "collect:test")
    version = db.session.scalar(select(SubmissionDef))
    assert version.xml.encode() == xml and version.current
    assert version.instance_name == "Site Kibera"
    assert "Kibera" in version.data["root"].values()  # flattened to the form's columns
    assert _slots("uuid:new-1") == {"a.jpg": True, "b.png": True}
    outbox = db.session.scalar(select(PipelineOutbox))
    assert (outbox.submission_def_id, outbox.event) == (version.id, "submission.created")


def test_same_instance_byte_identical_xml_adds_missing_attachments_and_answers_201(client, base):
    xml = site_instance("uuid:split", photo="a.jpg", closeup="b.png")
    first = post_submission(client, base, xml, {"a.jpg": jpeg()}, incomplete=True)
    assert first.status_code == 201
    assert _slots("uuid:split") == {"a.jpg": True, "b.png": False}
    second = post_submission(client, base, xml, {"b.png": png()})
    assert second.status_code == 201
    assert _slots("uuid:split") == {"a.jpg": True, "b.png": True}
    again = post_submission(client, base, xml)
    assert again.status_code == 201
    assert (_count(Submission), _count(SubmissionDef), _count(PipelineOutbox)) == (1, 1, 1)


def test_same_instance_id_with_other_xml_returns_409_with_centrals_message(client, base):
    assert post_submission(client, base, site_instance("uuid:x", site="A")).status_code == 201
    response = post_submission(client, base, site_instance("uuid:x", site="B"))
    assert response.status_code == 409
    assert_openrosa_headers(response)
    assert openrosa_message(response) == (
        "error", "A submission already exists with this ID, but with different XML. "
                 "Resubmissions to attach additional multimedia must resubmit an identical "
                 "xml_submission_file.")
    assert _count(SubmissionDef) == 1


def test_deprecated_id_of_current_version_is_an_edit_that_keeps_history_and_carries_files(
        client, base):
    original = site_instance("uuid:v1", photo="a.jpg", closeup="b.png")
    assert post_submission(client, base, original, {"a.jpg": jpeg()}).status_code == 201
    edit = site_instance("uuid:v2", site="Kibera East", photo="a.jpg", closeup="c.png",
                         deprecated_id="uuid:v1")
    response = post_submission(client, base, edit, {"c.png": png()})
    assert response.status_code == 201
    defs = db.session.scalars(select(SubmissionDef).order_by(SubmissionDef.id)).all()
    assert [(d.instance_id, d.current, d.deprecated_id) for d in defs] == [
        ("uuid:v1", False, None), ("uuid:v2", True, "uuid:v1")]
    assert defs[0].xml.encode() == original
    assert _slots("uuid:v2") == {"a.jpg": True, "c.png": True}
    submission = db.session.scalar(select(Submission))
    assert (submission.instance_id, submission.review_state) == ("uuid:v1", "edited")
    events = db.session.scalars(select(PipelineOutbox.event).order_by(PipelineOutbox.id)).all()
    assert events == ["submission.created", "submission.updated"]


def test_unknown_deprecated_id_returns_404(client, base):
    response = post_submission(client, base, site_instance("uuid:e", deprecated_id="uuid:nope"))
    assert response.status_code == 404
    assert openrosa_message(response) == (
        "error", "You tried to update an existing submission, but we can't find that "
                 "submission to update (uuid:nope)")


def test_deprecated_id_already_superseded_returns_409(client, base):
    post_submission(client, base, site_instance("uuid:o1"))
    post_submission(client, base, site_instance("uuid:o2", deprecated_id="uuid:o1"))
    response = post_submission(client, base, site_instance("uuid:o3", deprecated_id="uuid:o1"))
    assert response.status_code == 409
    nature, text = openrosa_message(response)
    assert nature == "error" and "is now out of date" in text
    assert _count(SubmissionDef) == 2


def test_repeated_edit_post_with_more_files_is_accepted(client, base):
    post_submission(client, base, site_instance("uuid:r1"))
    edit = site_instance("uuid:r2", photo="a.jpg", closeup="b.png", deprecated_id="uuid:r1")
    assert post_submission(client, base, edit, {"a.jpg": jpeg()}).status_code == 201
    assert post_submission(client, base, edit, {"b.png": png()}).status_code == 201
    assert _slots("uuid:r2") == {"a.jpg": True, "b.png": True}
    assert _count(SubmissionDef) == 2


def test_unknown_form_returns_404(client, base):
    response = post_submission(client, base, site_instance("uuid:f", form_id="no_such_form"))
    assert response.status_code == 404
    assert openrosa_message(response)[0] == "error"


def test_unknown_form_version_returns_404_naming_the_version(client, base):
    response = post_submission(client, base, site_instance("uuid:v", version="99"))
    assert response.status_code == 404
    assert openrosa_message(response)[1] == \
        "The form version specified in this submission '99' does not exist."


def test_older_published_version_still_accepts_submissions(client, base, site_form):
    publish_xform(site_form.project_id, SITE_XFORM.replace("{version}", "2"))
    for version in ("1", "2"):
        xml = site_instance(f"uuid:ver-{version}", version=version)
        assert post_submission(client, base, xml).status_code == 201


def test_closed_form_returns_409(client, base, site_form):
    db.session.get(Form, site_form.id).state = "closed"
    db.session.commit()
    response = post_submission(client, base, site_instance("uuid:c"))
    assert response.status_code == 409
    assert openrosa_message(response)[1].startswith("This form is not currently accepting")


def test_closing_form_still_accepts_submissions(client, base, site_form):
    db.session.get(Form, site_form.id).state = "closing"
    db.session.commit()
    assert post_submission(client, base, site_instance("uuid:closing")).status_code == 201


@pytest.mark.parametrize("xml", [
    b"<data id='site_photos'><unclosed></data>",
    b"not xml at all",
    b'<?xml version="1.0"?><!DOCTYPE data [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
    b'<data id="site_photos"><site>&b;</site></data>',
    b'<?xml version="1.0"?><!DOCTYPE data SYSTEM "http://example.org/x.dtd">'
    b'<data id="site_photos"/>',
], ids=["malformed", "not-xml", "entity-expansion", "external-dtd"])
def test_unparseable_xml_or_a_dtd_returns_400(client, base, xml):
    response = post_submission(client, base, xml)
    assert response.status_code == 400
    assert openrosa_message(response)[0] == "error"
    assert _count(Submission) == 0


def test_instance_without_root_id_returns_400(client, base):
    response = post_submission(client, base, b"<data><meta><instanceID>uuid:1</instanceID>"
                                             b"</meta></data>")
    assert response.status_code == 400
    assert "form ID xml attribute" in openrosa_message(response)[1]


def test_post_without_xml_part_returns_400(client, base):
    response = client.post(f"{base}/submission", data={"a.jpg": (io.BytesIO(b"x"), "a.jpg")},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    assert "xml_submission_file" in openrosa_message(response)[1]


class _CountingStream(io.RawIOBase):
    """A request body that records how much of it the server read."""

    def __init__(self, size: int):
        self.size, self.position, self.read_bytes = size, 0, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = 0) -> int:
        self.position = {0: offset, 1: self.position + offset, 2: self.size + offset}[whence]
        return self.position

    def readinto(self, buffer) -> int:
        n = max(0, min(len(buffer), self.size - self.position))
        buffer[:n] = b"x" * n
        self.position += n
        self.read_bytes += n
        return n


def test_body_over_max_submission_bytes_returns_413_before_it_is_read(client, base, app):
    app.config["MAX_SUBMISSION_BYTES"] = 10_000
    stream = _CountingStream(50_000)
    response = client.post(f"{base}/submission", input_stream=stream,
                           content_type="multipart/form-data; boundary=x",
                           headers={"Content-Length": "50000"})
    assert response.status_code == 413
    assert openrosa_message(response)[0] == "error"
    assert stream.read_bytes == 0


def test_chunked_body_over_the_limit_is_refused_at_the_limit(client, base, app):
    app.config["MAX_SUBMISSION_BYTES"] = 10_000
    xml = site_instance("uuid:big", photo="a.jpg")
    body = io.BytesIO()
    boundary = "bnd"
    body.write(f"--{boundary}\r\nContent-Disposition: form-data; name=\"xml_submission_file\"; "
               f"filename=\"s.xml\"\r\nContent-Type: text/xml\r\n\r\n".encode() + xml)
    body.write(f"\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"a.jpg\"; "
               f"filename=\"a.jpg\"\r\n\r\n".encode() + jpeg(40_000))
    body.write(f"\r\n--{boundary}--\r\n".encode())
    body.seek(0)
    response = client.post(f"{base}/submission", input_stream=body,
                           content_type=f"multipart/form-data; boundary={boundary}",
                           environ_overrides={"wsgi.input_terminated": True})
    assert response.status_code == 413
    assert _count(Submission) == 0


def test_attachment_named_but_not_sent_is_recorded_missing(client, base):
    xml = site_instance("uuid:m", photo="a.jpg", closeup="b.png")
    assert post_submission(client, base, xml, {"a.jpg": jpeg()}).status_code == 201
    assert _slots("uuid:m") == {"a.jpg": True, "b.png": False}


def test_files_the_xml_does_not_name_are_not_stored(client, base):
    xml = site_instance("uuid:extra", photo="a.jpg")
    assert post_submission(client, base, xml, {"a.jpg": jpeg(), "z.png": png()}).status_code \
        == 201
    assert _slots("uuid:extra") == {"a.jpg": True}


def test_xml_sent_as_a_plain_form_field_is_accepted_too(client, base):
    response = client.post(f"{base}/submission", data={
        "xml_submission_file": site_instance("uuid:field").decode()},
        content_type="multipart/form-data")
    assert response.status_code == 201
    assert _count(Submission) == 1


def test_a_new_collect_post_costs_three_statements_on_postgresql(app, client, base, monkeypatch):
    """The hot path: the app-user token, one lookup (form, version, assignment, live project)
    and, on PostgreSQL, one statement writing the submission, its version, blob, slots and
    outbox row. The pipeline's own statements after the COMMIT are not counted here."""
    from sqlalchemy import event

    from sync import ingest

    monkeypatch.setattr(ingest, "_listeners", [])  # the pipeline's own statements come after
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    # The first POST of a form version in a process parses its XForm (cached by sha256).
    assert post_submission(client, base, site_instance("uuid:warm")).status_code == 201
    db.session.commit()
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        response = post_submission(client, base, site_instance("uuid:fast", photo="a.jpg"),
                                   {"a.jpg": jpeg()})
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert response.status_code == 201
    expected = 3 if db.engine.dialect.name == "postgresql" else 7
    assert len(statements) == expected, statements
    assert _slots("uuid:fast") == {"a.jpg": True}
    assert _count(PipelineOutbox) == 2

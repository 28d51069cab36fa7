"""Submissions in ODK Central's REST dialect (what pyodk calls): list, get, XML, create, edit,
review, attachments, versions, comments."""
from __future__ import annotations

from flask import Response, current_app, jsonify, request
from sqlalchemy import select

from app import problems
from app.extensions import db
from app.models import Actor, Blob, Comment, Form, FormVersion, Submission, SubmissionDef
from app.problems import Problem
from app.services import forms as form_service
from app.services import personal_data as personal_store
from app.services import storage
from app.services import submissions as service
from app.web import personal_data
from app.web.api.blueprint import api
from app.web.api.common import extended, iso, json_body, limited_body, listing, success
from app.web.api.serializers import actor_json
from app.web.auth import require_form
from sync import errors as ingest_errors
from sync.ingest import ingest, read_envelope
from sync.schema import schema_for

BASE = "/projects/<int:project_id>/forms/<xml_form_id>/submissions"
XML_TYPES = ("application/xml", "text/xml")


def _form(project_id: int, xml_form_id: str, verb: str) -> tuple[Form, int]:
    """The form if the caller may `verb` on it, with the caller's actor id; else 404/403."""
    form = form_service.get_form(project_id, xml_form_id)
    if form is None:
        raise problems.not_found()
    principal = require_form(verb, project_id, form.id)
    return form, principal.actor.id


def _submission(form: Form, instance_id: str) -> Submission:
    submission = service.get_submission(form, instance_id)
    if submission is None:
        raise problems.not_found()
    return submission


def def_json(version: SubmissionDef) -> dict:
    return {"instanceId": version.instance_id, "instanceName": version.instance_name,
            "submitterId": version.submitter_id, "deviceId": version.device_id,
            "userAgent": version.user_agent, "deprecatedId": version.deprecated_id,
            "current": version.current, "createdAt": iso(version.created_at)}


def submission_json(submission: Submission, current: SubmissionDef,
                    counts: tuple[int, int]) -> dict:
    return {"instanceId": submission.instance_id, "submitterId": submission.submitter_id,
            "deviceId": submission.device_id, "userAgent": current.user_agent,
            "reviewState": submission.review_state, "instanceName": current.instance_name,
            "channel": submission.channel, "createdAt": iso(submission.created_at),
            "updatedAt": iso(submission.updated_at), "deletedAt": iso(submission.deleted_at),
            "currentVersion": def_json(current),
            "attachmentsPresent": counts[0], "attachmentsExpected": counts[1]}


def _one_json(submission: Submission) -> dict:
    current = service.current_def(submission)
    counts = service.attachment_counts([current.id]).get(current.id, (0, 0))
    return submission_json(submission, current, counts)


def _xml_body() -> bytes:
    """The request body as instance XML, refused over MAX_SUBMISSION_BYTES before reading."""
    content_type = (request.mimetype or "").lower()
    if content_type not in XML_TYPES:
        raise problems.unsupported_media_type(request.content_type, list(XML_TYPES))
    return _body()


def _body() -> bytes:
    return limited_body(int(current_app.config["MAX_SUBMISSION_BYTES"]))


def _ingest(**kwargs):
    try:
        return ingest(**kwargs)
    except ingest_errors.IngestError as failure:
        raise Problem(failure.code, failure.message, failure.details) from None


@api.get(BASE)
def list_submissions(project_id: int, xml_form_id: str):
    form, _ = _form(project_id, xml_form_id, "submission.list")
    limit = request.args.get("$top", request.args.get("limit"))
    offset = request.args.get("$skip", request.args.get("offset", "0"))
    try:
        limit_n = int(limit) if limit not in (None, "") else None
        offset_n = int(offset or 0)
    except ValueError:
        raise problems.unexpected_value("limit", limit, "must be an integer") from None
    rows, total = service.list_submissions(form, limit_n, offset_n)
    currents = service.current_defs([s.id for s in rows])
    counts = service.attachment_counts([d.id for d in currents.values()])
    return listing([submission_json(s, currents[s.id], counts.get(currents[s.id].id, (0, 0)))
                    for s in rows], total)


@api.get(f"{BASE}/submitters")
def list_submitters(project_id: int, xml_form_id: str):
    """Everyone who submitted to the form, as Central lists them (actor JSON)."""
    form, _ = _form(project_id, xml_form_id, "submission.read")
    return listing([actor_json(a) for a in db.session.scalars(
        select(Actor).where(Actor.id.in_(select(Submission.submitter_id).where(
            Submission.form_id == form.id))).order_by(Actor.id))])


@api.post(BASE)
def create_submission(project_id: int, xml_form_id: str):
    form, actor_id = _form(project_id, xml_form_id, "submission.create")
    result = _ingest(project_id=project_id, xml=_xml_body(), attachments={}, channel="api",
                     submitter_id=actor_id, device_id=request.args.get("deviceID"),
                     user_agent=request.user_agent.string, form_id=xml_form_id)
    return jsonify(_one_json(db.session.get(Submission, result.submission_id)))


@api.get(f"{BASE}/<instance_id>.xml")
def submission_xml(project_id: int, xml_form_id: str, instance_id: str):
    form, _ = _form(project_id, xml_form_id, "submission.read")
    current = service.current_def(_submission(form, instance_id))
    xml = current.xml
    if personal_data.policy(form, "submission.read.personal_clear") != "clear":
        version = db.session.get(FormVersion, current.form_version_id)
        model = schema_for(version.sha256, lambda: version.xml).model
        xml = personal_store.mask_xml(xml, personal_store.local_paths(model),
                                      personal_store.masker())
    return Response(xml, content_type="application/xml; charset=utf-8")


@api.get(f"{BASE}/<instance_id>")
def get_submission(project_id: int, xml_form_id: str, instance_id: str):
    form, _ = _form(project_id, xml_form_id, "submission.read")
    return jsonify(_one_json(_submission(form, instance_id)))


@api.put(f"{BASE}/<instance_id>")
def edit_submission(project_id: int, xml_form_id: str, instance_id: str):
    """A new version of the XML; its meta/deprecatedID names the version it replaces."""
    form, actor_id = _form(project_id, xml_form_id, "submission.update")
    submission = _submission(form, instance_id)
    xml = _xml_body()
    try:
        envelope = read_envelope(xml)
    except ingest_errors.IngestError as failure:
        raise Problem(failure.code, failure.message, failure.details) from None
    if not envelope.deprecated_id:
        failure = ingest_errors.MissingDeprecatedId()
        raise Problem(failure.code, failure.message, failure.details)
    if envelope.deprecated_id not in {v.instance_id for v in service.versions(submission)}:
        raise problems.unexpected_value("deprecatedID", envelope.deprecated_id,
                                        f"is not a version of submission {instance_id}")
    _ingest(project_id=project_id, xml=xml, attachments={}, channel="api",
            submitter_id=actor_id, device_id=request.args.get("deviceID"),
            user_agent=request.user_agent.string, form_id=xml_form_id)
    db.session.refresh(submission)
    return jsonify(_one_json(submission))


@api.patch(f"{BASE}/<instance_id>")
def review_submission(project_id: int, xml_form_id: str, instance_id: str):
    form, actor_id = _form(project_id, xml_form_id, "submission.update")
    submission = _submission(form, instance_id)
    body = json_body("reviewState")
    service.set_review_state(form, submission, body["reviewState"], actor_id)
    db.session.commit()
    return jsonify(_one_json(submission))


@api.get(f"{BASE}/<instance_id>/versions")
def list_versions(project_id: int, xml_form_id: str, instance_id: str):
    form, _ = _form(project_id, xml_form_id, "submission.read")
    return listing([def_json(v) for v in service.versions(_submission(form, instance_id))])


def _version(form: Form, root_id: str, instance_id: str) -> SubmissionDef:
    found = service.version(_submission(form, root_id), instance_id)
    if found is None:
        raise problems.not_found()
    return found


@api.get(f"{BASE}/<root_id>/versions/<instance_id>")
def get_version(project_id: int, xml_form_id: str, root_id: str, instance_id: str):
    form, _ = _form(project_id, xml_form_id, "submission.read")
    return jsonify(def_json(_version(form, root_id, instance_id)))


@api.get(f"{BASE}/<root_id>/versions/<instance_id>.xml")
def version_xml(project_id: int, xml_form_id: str, root_id: str, instance_id: str):
    form, _ = _form(project_id, xml_form_id, "submission.read")
    return Response(_version(form, root_id, instance_id).xml,
                    content_type="application/xml; charset=utf-8")


@api.get(f"{BASE}/<root_id>/versions/<instance_id>/attachments")
def list_version_attachments(project_id: int, xml_form_id: str, root_id: str,
                             instance_id: str):
    form, _ = _form(project_id, xml_form_id, "submission.read")
    return jsonify([{"name": a.name, "exists": a.blob_id is not None}
                    for a in service.attachments(_version(form, root_id, instance_id))])


@api.get(f"{BASE}/<root_id>/versions/<instance_id>/attachments/<name>")
def download_version_attachment(project_id: int, xml_form_id: str, root_id: str,
                                instance_id: str, name: str):
    form, _ = _form(project_id, xml_form_id, "submission.read")
    return _attachment_response(_version(form, root_id, instance_id), name)


@api.get(f"{BASE}/<instance_id>/attachments")
def list_attachments(project_id: int, xml_form_id: str, instance_id: str):
    form, _ = _form(project_id, xml_form_id, "submission.read")
    current = service.current_def(_submission(form, instance_id))
    return jsonify([{"name": a.name, "exists": a.blob_id is not None}
                    for a in service.attachments(current)])


@api.post(f"{BASE}/<instance_id>/attachments/<name>")
def upload_attachment(project_id: int, xml_form_id: str, instance_id: str, name: str):
    form, actor_id = _form(project_id, xml_form_id, "submission.update")
    submission = _submission(form, instance_id)
    current = service.current_def(submission)
    slot = service.attach_file(current, name, _body(), request.mimetype or None)
    service.audit_attachment(form, submission, current, name, slot.blob_id, actor_id)
    db.session.commit()
    return success()


@api.get(f"{BASE}/<instance_id>/attachments/<name>")
def download_attachment(project_id: int, xml_form_id: str, instance_id: str, name: str):
    form, _ = _form(project_id, xml_form_id, "submission.read")
    return _attachment_response(service.current_def(_submission(form, instance_id)), name)


def _attachment_response(version: SubmissionDef, name: str) -> Response:
    slot = service.attachment(version, name)
    if slot is None or slot.blob_id is None:
        raise problems.not_found()
    blob = db.session.get(Blob, slot.blob_id)
    response = Response(storage.read_blob(blob),
                        content_type=blob.content_type or "application/octet-stream")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["ETag"] = f'"{blob.md5}"'
    return response


def comment_json(comment: Comment) -> dict:
    return {"id": comment.id, "body": comment.body, "actorId": comment.actor_id,
            "createdAt": iso(comment.created_at)}


@api.get(f"{BASE}/<instance_id>/comments")
def list_comments(project_id: int, xml_form_id: str, instance_id: str):
    form, _ = _form(project_id, xml_form_id, "submission.read")
    rows = service.comments(_submission(form, instance_id))
    items = [comment_json(c) for c in rows]
    if extended():  # Central adds who wrote each comment
        actors = {a.id: a for a in db.session.scalars(
            select(Actor).where(Actor.id.in_({c.actor_id for c in rows} or {-1})))}
        for item in items:
            actor = actors.get(item["actorId"])
            item["actor"] = actor_json(actor) if actor else None
    return listing(items)


@api.post(f"{BASE}/<instance_id>/comments")
def add_comment(project_id: int, xml_form_id: str, instance_id: str):
    form, actor_id = _form(project_id, xml_form_id, "submission.update")
    submission = _submission(form, instance_id)
    comment = service.add_comment(submission, actor_id, str(json_body("body")["body"]))
    db.session.commit()
    return jsonify(comment_json(comment))

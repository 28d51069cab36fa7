"""Submission use cases after ingest: reading, review state, comments, attachment uploads."""
from __future__ import annotations

from sqlalchemy import case, func, select

from app import problems
from app.extensions import db
from app.indicators import contributions as indicators
from app.models import Audit, Comment, Form, Submission, SubmissionAttachment, SubmissionDef
from app.models.base import utcnow
from app.services import storage
from forms.review import REVIEWABLE


def get_submission(form: Form, instance_id: str) -> Submission | None:
    """The submission a form knows by its first instanceID."""
    return db.session.scalar(select(Submission).where(
        Submission.form_id == form.id, Submission.instance_id == instance_id,
        Submission.deleted_at.is_(None)))


def current_def(submission: Submission) -> SubmissionDef:
    return db.session.scalars(select(SubmissionDef).where(
        SubmissionDef.submission_id == submission.id, SubmissionDef.current.is_(True))).one()


def current_defs(submission_ids: list[int]) -> dict[int, SubmissionDef]:
    rows = db.session.scalars(select(SubmissionDef).where(
        SubmissionDef.submission_id.in_(submission_ids or [-1]),
        SubmissionDef.current.is_(True)))
    return {row.submission_id: row for row in rows}


def list_submissions(form: Form, limit: int | None, offset: int) -> tuple[list[Submission], int]:
    """One page of a form's submissions, newest first, and the total."""
    where = (Submission.form_id == form.id, Submission.deleted_at.is_(None))
    total = db.session.scalar(select(func.count(Submission.id)).where(*where)) or 0
    query = select(Submission).where(*where).order_by(Submission.created_at.desc(),
                                                      Submission.id.desc()).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.scalars(query)), total


def attachment_counts(def_ids: list[int]) -> dict[int, tuple[int, int]]:
    """(present, expected) per submission version: AttachmentsPresent / AttachmentsExpected."""
    rows = db.session.execute(
        select(SubmissionAttachment.submission_def_id,
               func.sum(case((SubmissionAttachment.blob_id.is_not(None), 1), else_=0)),
               func.count(SubmissionAttachment.id))
        .where(SubmissionAttachment.submission_def_id.in_(def_ids or [-1]))
        .group_by(SubmissionAttachment.submission_def_id))
    return {def_id: (int(present or 0), int(expected)) for def_id, present, expected in rows}


def attachments(version: SubmissionDef) -> list[SubmissionAttachment]:
    return list(db.session.scalars(select(SubmissionAttachment).where(
        SubmissionAttachment.submission_def_id == version.id
    ).order_by(SubmissionAttachment.name)))


def attachment(version: SubmissionDef, name: str) -> SubmissionAttachment | None:
    return db.session.scalar(select(SubmissionAttachment).where(
        SubmissionAttachment.submission_def_id == version.id, SubmissionAttachment.name == name))


def attach_file(version: SubmissionDef, name: str, data: bytes,
                content_type: str | None) -> SubmissionAttachment:
    """Fill (or replace) a file the current XML names; any other name is 404."""
    slot = attachment(version, name)
    if slot is None:
        raise problems.not_found()
    slot.blob_id = storage.store_blob(data, content_type).id
    db.session.flush()
    return slot


def versions(submission: Submission) -> list[SubmissionDef]:
    """Every version of the XML, newest first (the edit history)."""
    return list(db.session.scalars(select(SubmissionDef).where(
        SubmissionDef.submission_id == submission.id).order_by(SubmissionDef.id.desc())))


def version(submission: Submission, instance_id: str) -> SubmissionDef | None:
    """One version of a submission, by that version's own instanceID."""
    return db.session.scalar(select(SubmissionDef).where(
        SubmissionDef.submission_id == submission.id, SubmissionDef.instance_id == instance_id))


def set_review_state(form: Form, submission: Submission, state: str,
                     actor_id: int) -> Submission:
    """Record a review decision, audited as Central does (`submission.update`); a change of
    state is sent to the form's webhooks once the caller commits."""
    from app.webhooks import events as webhook_events

    if state not in REVIEWABLE:
        raise problems.unexpected_value("reviewState", state,
                                        f"must be one of {', '.join(REVIEWABLE)}")
    previous = submission.review_state
    submission.review_state = state
    submission.updated_at = utcnow()
    db.session.flush()
    indicators.review_changed(submission.id, state)
    current = current_def(submission)
    db.session.add(Audit(actor_id=actor_id, action="submission.update",
                         project_id=form.project_id, form_id=form.id,
                         submission_id=submission.id, details={
                             "submissionId": submission.id, "submissionDefId": current.id,
                             "instanceId": current.instance_id, "reviewState": state}))
    db.session.flush()
    if previous != state:
        webhook_events.review_changed(form, submission, previous, state, actor_id)
    return submission


def comments(submission: Submission) -> list[Comment]:
    return list(db.session.scalars(select(Comment).where(
        Comment.submission_id == submission.id).order_by(Comment.id.desc())))


def add_comment(submission: Submission, actor_id: int, body: str) -> Comment:
    """A reviewer's comment, audited (`comment.create`: Central keeps comments unaudited, but
    our log answers who said what, when, beside the review decisions)."""
    if not body.strip():
        raise problems.unexpected_value("body", body, "must not be empty")
    comment = Comment(submission_id=submission.id, actor_id=actor_id, body=body,
                      created_at=utcnow())
    db.session.add(comment)
    db.session.flush()
    form = db.session.get(Form, submission.form_id)
    db.session.add(Audit(actor_id=actor_id, action="comment.create", project_id=form.project_id,
                         form_id=form.id, submission_id=submission.id, details={
                             "submissionId": submission.id,
                             "instanceId": submission.instance_id, "commentId": comment.id}))
    db.session.flush()
    return comment


def audit_attachment(form: Form, submission: Submission, version: SubmissionDef, name: str,
                     blob_id: int | None, actor_id: int | None) -> None:
    """Central's `submission.attachment.update`: a file of a submission set (or cleared)."""
    db.session.add(Audit(actor_id=actor_id, action="submission.attachment.update",
                         project_id=form.project_id, form_id=form.id,
                         submission_id=submission.id, details={
                             "submissionId": submission.id, "instanceId": version.instance_id,
                             "submissionDefId": version.id, "name": name,
                             "newBlobId": blob_id}))

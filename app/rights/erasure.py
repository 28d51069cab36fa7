"""Erase everything a project holds from one phone number, and say what it holds.

`erase(contact)` runs in the caller's transaction and removes, for every submission made from
that number over SMS, USSD or WhatsApp (found through its conversations): every version, its
attachments (files too, once no other row needs them), cleaned record, SDG tags, pipeline
outbox rows, webhook deliveries (so no retry sends it again), comments, audit rows and quotes
approved for a dashboard, its indicator contributions (the cells they were counted in lose
them), and the export files of its forms (exports are made again from what remains); then
the conversations and messages, and the number itself: the contact's keyed hash is replaced
by a random one at once, so the number no longer matches anything, and the row with its
encrypted copy is deleted by `finish` once the last reply (the confirmation) has gone. What
is left is one audit row and the erasure request, with counts and no personal data.

Files are removed by `remove_files` after the commit (a rolled-back erasure keeps them).
"""
from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, func, or_, select, update

from app.exports import jobs as export_jobs
from app.extensions import db
from app.indicators import contributions
from app.messaging.store import SIMULATOR
from app.models import (
    ApprovedQuote,
    Audit,
    Blob,
    CleanedRecord,
    Comment,
    Contact,
    Conversation,
    ErasureRequest,
    ExportJob,
    Form,
    FormAttachment,
    FormVersion,
    Message,
    PipelineOutbox,
    SdgTag,
    Submission,
    SubmissionAttachment,
    SubmissionDef,
    WebhookDelivery,
)
from app.models.base import utcnow
from app.models.messaging import ErasureStatus
from app.services import storage
from forms.settings import ConversationSettings
from sms_flows.rights import Holding
from sms_flows.types import UNSENT, ConversationStatus


@dataclass
class Erased:
    """What one erasure removed (counts only) and the files to remove after the commit."""

    submissions: int = 0
    conversations: int = 0
    messages: int = 0
    files: list[Path] = field(default_factory=list)


def submission_ids(contact_id: int) -> list[int]:
    """The submissions made from a contact's number (through its conversations)."""
    return list(db.session.scalars(
        select(SubmissionDef.submission_id).distinct()
        .join(Conversation, (Conversation.form_id == SubmissionDef.form_id)
              & (Conversation.instance_id == SubmissionDef.instance_id))
        .where(Conversation.contact_id == contact_id)))


def holdings(contact_id: int) -> list[Holding]:
    """What MYDATA lists: each submission's form title, date and channel (a sensitive form's
    marked so, to be listed without its title)."""
    ids = submission_ids(contact_id)
    if not ids:
        return []
    rows = db.session.execute(
        select(Submission.created_at, Submission.channel, Form.xml_form_id,
               FormVersion.name, FormVersion.conversation)
        .join(Form, Form.id == Submission.form_id)
        .join(FormVersion, FormVersion.id == Form.current_version_id, isouter=True)
        .where(Submission.id.in_(ids), Submission.deleted_at.is_(None)))
    return [Holding(title=row.name or row.xml_form_id, received=row.created_at,
                    channel=row.channel,
                    sensitive=ConversationSettings.from_json(row.conversation).sensitive)
            for row in rows]


def unfinished(contact_id: int) -> int:
    """Surveys begun from a contact's number whose answers are kept but not stored as a
    submission (open, expired, or waiting for a photo): what MYDATA counts as unfinished."""
    return db.session.scalar(select(func.count(Conversation.id)).where(
        Conversation.contact_id == contact_id, Conversation.form_id.is_not(None),
        Conversation.status != ConversationStatus.DECLINED, Conversation.instance_id.is_(None),
        Conversation.purged_at.is_(None),
        or_(Conversation.session_key.is_(None), Conversation.session_key != SIMULATOR))) or 0


def erase(contact: Contact, request: ErasureRequest, now: datetime | None = None) -> Erased:
    """Everything from this contact's number in its project (see the module docstring)."""
    now = now or utcnow()
    erased = Erased()
    ids = submission_ids(contact.id)
    if ids:
        contributions.forget(ids)
        erased.files = _erase_submissions(ids, now)
    erased.submissions = len(ids)
    erased.messages = db.session.execute(
        delete(Message).where(Message.contact_id == contact.id)).rowcount
    db.session.execute(update(ErasureRequest).where(
        ErasureRequest.contact_id == contact.id, ErasureRequest.id != request.id)
        .values(contact_id=None))
    erased.conversations = db.session.execute(
        delete(Conversation).where(Conversation.contact_id == contact.id)).rowcount
    contact.phone_hash = "erased:" + secrets.token_hex(16)  # matches no number any more
    contact.language = None
    contact.erased_at = now
    contact.erasure_requested_at = None
    request.status, request.decided_at = ErasureStatus.ERASED, now
    request.submissions, request.conversations = erased.submissions, erased.conversations
    request.messages = erased.messages
    db.session.add(Audit(action="contact.erase", project_id=contact.project_id, details={
        "erasureRequest": request.id, "via": request.via, "submissions": erased.submissions,
        "conversations": erased.conversations, "messages": erased.messages}))
    db.session.flush()
    return erased


def _erase_submissions(ids: list[int], now: datetime) -> list[Path]:
    defs = select(SubmissionDef.id).where(SubmissionDef.submission_id.in_(ids))
    forms = list(db.session.scalars(select(Submission.form_id).distinct()
                                    .where(Submission.id.in_(ids))))
    blobs = set(db.session.scalars(select(SubmissionAttachment.blob_id).where(
        SubmissionAttachment.submission_def_id.in_(defs),
        SubmissionAttachment.blob_id.is_not(None))))
    for model, column in ((SdgTag, SdgTag.submission_def_id),
                          (CleanedRecord, CleanedRecord.submission_def_id),
                          (PipelineOutbox, PipelineOutbox.submission_def_id),
                          (SubmissionAttachment, SubmissionAttachment.submission_def_id)):
        db.session.execute(delete(model).where(column.in_(defs)))
    db.session.execute(delete(WebhookDelivery).where(or_(
        WebhookDelivery.submission_id.in_(ids), WebhookDelivery.submission_def_id.in_(defs))))
    db.session.execute(delete(Comment).where(Comment.submission_id.in_(ids)))
    db.session.execute(delete(ApprovedQuote).where(ApprovedQuote.submission_id.in_(ids)))
    db.session.execute(delete(Audit).where(Audit.submission_id.in_(ids)))
    db.session.execute(delete(SubmissionDef).where(SubmissionDef.submission_id.in_(ids)))
    db.session.execute(delete(Submission).where(Submission.id.in_(ids)))
    files = _orphaned_blobs(blobs)
    # An export already written may hold these answers: it expires now (made again on asking).
    for job in db.session.scalars(select(ExportJob).where(
            ExportJob.form_id.in_(forms), ExportJob.created_at <= now)):
        path = export_jobs.file_path(job)
        if path is not None:
            files.append(path)
        job.expires_at = now
        job.file_name = None
    return files


def _orphaned_blobs(blob_ids: set[int]) -> list[Path]:
    """Blobs no other submission or form still uses: their rows go now, files after commit."""
    if not blob_ids:
        return []
    used = set(db.session.scalars(select(SubmissionAttachment.blob_id).where(
        SubmissionAttachment.blob_id.in_(blob_ids)))) | set(db.session.scalars(
            select(FormAttachment.blob_id).where(FormAttachment.blob_id.in_(blob_ids))))
    unused = blob_ids - used
    if not unused:
        return []
    hashes = list(db.session.scalars(select(Blob.sha256).where(Blob.id.in_(unused))))
    db.session.execute(delete(Blob).where(Blob.id.in_(unused)))
    return [path for sha in hashes for path in storage.blob_paths(sha)]


def remove_files(files: Sequence[Path]) -> None:
    """After the commit: the erased attachments' and exports' files (`Erased.files`)."""
    for path in files:
        path.unlink(missing_ok=True)


def finish(contact_id: int, *, force: bool = False) -> bool:
    """Delete an erased contact (and the replies sent to it) once none is still to be sent
    (or anyway, `force`); -> whether it is gone. The caller commits."""
    waiting = db.session.scalar(select(func.count(Message.id)).where(
        Message.contact_id == contact_id, Message.direction == "out",
        Message.status.in_(UNSENT)))
    if waiting and not force:
        return False
    db.session.execute(update(ErasureRequest).where(ErasureRequest.contact_id == contact_id)
                       .values(contact_id=None))
    db.session.execute(delete(Message).where(Message.contact_id == contact_id))
    db.session.execute(delete(Contact).where(Contact.id == contact_id,
                                             Contact.erased_at.is_not(None)))
    return True


def sweep(now: datetime, grace_seconds: int = 3600) -> int:
    """Erased contacts whose last reply never went (a send that failed for good, a worker
    gone) are deleted after `grace_seconds` anyway; -> how many. The caller commits."""
    stale = list(db.session.scalars(select(Contact.id).where(
        Contact.erased_at.is_not(None), Contact.erased_at < now - timedelta(
            seconds=grace_seconds))))
    for contact_id in stale:
        finish(contact_id, force=True)
    return len(stale)

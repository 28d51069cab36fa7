"""Central side of up-sync: what each item of a field office's batch does here.

Every submission version enters through `sync.ingest` (the one door) and its duplicate and
edit rules, one transaction per version; a batch is therefore idempotent: sent again after a
lost answer, each version is found again and reported as it was (`duplicate`), even one an
edit in the same batch has since superseded. A version whose files are not all here yet is
not stored at all (`missing`: the field office uploads them and sends the item again), so a
stored version is always complete. The same instanceID with other content is never
overwritten: it becomes a conflict, kept on both sides.

Items (JSON objects) and their answers:
- `{"kind": "submission", "key", "xmlFormId", "xml", "channel", "deviceId", "userAgent",
  "receivedAt", "submitter": {"id", "name"}, "attachments": [{"name", "sha256", "size"}]}`
  → `status`: created | edited | duplicate | attachments_added | missing (+ `missing`: sha256s)
  | conflict (+ `conflict`: {id, reason, centralXml}) | error (+ `code`, `message`);
  `attachments`: how many of the version's files are stored here.
- `{"kind": "review", "key", "xmlFormId", "instanceId", "reviewState"}` → ok | error.
- `{"kind": "comment", "key", "xmlFormId", "instanceId", "body", "author": {"id", "name"},
  "createdAt"}` → ok | error.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import (
    CHANNELS,
    Blob,
    Comment,
    Form,
    Submission,
    SubmissionAttachment,
    SubmissionDef,
    SyncLink,
)
from app.models.base import utcnow
from app.services import storage
from forms.review import REVIEWABLE
from sync import conflicts, errors, remote_ids
from sync.ingest import IngestResult, IngestStatus, ingest, read_envelope
from sync.staging import Staging


class BatchStatus(StrEnum):
    """An item's answer in a field office's batch besides an ingest's (IngestStatus): files
    still missing, a conflict to settle, refused, or (reviews and comments) done."""

    MISSING = "missing"
    CONFLICT = "conflict"
    ERROR = "error"
    OK = "ok"

MAX_ITEMS = 500
# (form, submission, review state, actor id): app.services.submissions.set_review_state
Review = Callable[[Form, Submission, str, int], Any]
MAX_COMMENT = 100_000


class BadBatch(ValueError):
    """The batch as a whole is malformed (a 400 naming `field`)."""

    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass
class _Item:
    raw: dict[str, Any]

    def text(self, name: str, *, required: bool = True, limit: int = 255) -> str | None:
        value = self.raw.get(name)
        if value is None or value == "":
            if required:
                raise _ItemError(400.2, f"{name} is required")
            return None
        if not isinstance(value, str):
            raise _ItemError(400.11, f"{name} must be a string")
        if len(value) > limit:
            raise _ItemError(400.11, f"{name} is longer than {limit} characters")
        return value


class _ItemError(Exception):
    def __init__(self, code: float, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def apply_batch(link: SyncLink, body: Any, staging: Staging, review: Review) -> dict[str, Any]:
    """Apply every item of a batch in order; answer per item. Raises BadBatch when the
    batch itself is malformed (then nothing was done). `review` records a review decision
    as the app does for a person (audit, webhooks, indicators)."""
    if not isinstance(body, dict):
        raise BadBatch("body", "must be a JSON object")
    items = body.get("items")
    if not isinstance(items, list):
        raise BadBatch("items", "must be a list")
    if len(items) > MAX_ITEMS:
        raise BadBatch("items", f"at most {MAX_ITEMS} per batch")
    cursor = body.get("cursor")
    if cursor is not None and (not isinstance(cursor, int) or isinstance(cursor, bool)):
        raise BadBatch("cursor", "must be an integer")
    results = []
    stored = 0
    known: dict[str, int] = {}
    for raw in items:
        if not isinstance(raw, dict):
            results.append({"status": BatchStatus.ERROR, "code": 400.11,
                            "message": "each item must be a JSON object"})
            continue
        item = _Item(raw)
        try:
            kind = raw.get("kind") or "submission"
            if kind == "submission":
                result = _submission(link, item, staging, known)
                stored += result["status"] in (IngestStatus.CREATED, IngestStatus.EDITED)
            elif kind == "review":
                result = _review(link, item, review)
            elif kind == "comment":
                result = _comment(link, item)
            else:
                raise _ItemError(400.11, f"unknown kind {kind!r}")
        except _ItemError as failure:
            db.session.rollback()
            result = {"status": BatchStatus.ERROR, "code": failure.code, "message": failure.message}
        result["key"] = raw.get("key")
        results.append(result)
    _checkpoint(link.actor_id, cursor, stored)
    return {"cursor": cursor, "results": results}


def _checkpoint(link_id: int, cursor: int | None, stored: int) -> None:
    """This side's checkpoint: the field office's cursor once its whole batch is applied."""
    link = db.session.get(SyncLink, link_id)
    if cursor is not None and cursor > link.cursor:
        link.cursor = cursor
    link.received += stored
    db.session.commit()


@dataclass(frozen=True)
class _FormRef:
    id: int
    xml_form_id: str


def _form(link: SyncLink, xml_form_id: str, known: dict[str, int] | None = None) -> _FormRef:
    """The form by xmlFormId; `known` remembers lookups for the rest of a batch (a batch is
    mostly one form)."""
    form_id = known.get(xml_form_id) if known is not None else None
    if form_id is None:
        form_id = db.session.scalar(select(Form.id).where(
            Form.project_id == link.project_id, Form.xml_form_id == xml_form_id,
            Form.deleted_at.is_(None)))
        if form_id is not None and known is not None:
            known[xml_form_id] = form_id
    if form_id is None:
        raise _ItemError(404.1, f"no form {xml_form_id} in this project")
    return _FormRef(form_id, xml_form_id)


def _received_at(item: _Item, name: str) -> datetime | None:
    raw = item.text(name, required=False, limit=64)
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise _ItemError(400.11, f"{name} is not an ISO 8601 timestamp") from None
    if value.tzinfo is None:
        raise _ItemError(400.11, f"{name} needs a time zone (UTC: Z)")
    return value


def _person(link: SyncLink, raw: Any) -> int | None:
    if not isinstance(raw, dict) or raw.get("id") in (None, ""):
        return None
    return remote_ids.remote_actor(remote_ids.link_scope(link.actor_id), raw["id"],
                                   str(raw.get("name") or ""))


def _attachment_list(item: _Item) -> list[dict[str, Any]]:
    raw = item.raw.get("attachments") or []
    if not isinstance(raw, list):
        raise _ItemError(400.11, "attachments must be a list")
    out = []
    for entry in raw:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) \
                or not isinstance(entry.get("sha256"), str):
            raise _ItemError(400.11, "each attachment needs a name and a sha256")
        out.append(entry)
    return out


def _gather(attachments: list[dict[str, Any]], staging: Staging) -> tuple[
        dict[str, bytes], list[str], list[str]]:
    """(name -> bytes) of the files this server has (stored blobs or complete uploads),
    the sha256s still missing, and those that came from staging."""
    files: dict[str, bytes] = {}
    missing, staged = [], []
    for entry in attachments:
        sha256 = entry["sha256"].lower()
        blob = db.session.scalar(select(Blob).where(Blob.sha256 == sha256))
        data = None
        if blob is not None:
            try:
                data = storage.read_blob(blob)
            except FileNotFoundError:
                data = None
        if data is None:
            try:
                data = staging.read(sha256)
            except ValueError:
                raise _ItemError(400.11, f"{sha256!r} is not a sha256") from None
            if data is not None:
                staged.append(sha256)
        if data is None:
            missing.append(sha256)
        else:
            files[entry["name"]] = data
    return files, missing, staged


def _present(def_id: int) -> int:
    return db.session.scalar(select(func.count(SubmissionAttachment.id)).where(
        SubmissionAttachment.submission_def_id == def_id,
        SubmissionAttachment.blob_id.is_not(None))) or 0


def _submission(link: SyncLink, item: _Item, staging: Staging,
                known: dict[str, int]) -> dict[str, Any]:
    xml_form_id = item.text("xmlFormId")
    xml_text = item.text("xml", limit=50 * 1024 * 1024)
    xml = xml_text.encode("utf-8")
    try:
        envelope = read_envelope(xml)
    except errors.IngestError as failure:
        raise _ItemError(failure.code, failure.message) from None
    if envelope.form_id != xml_form_id:
        raise _ItemError(400.8, f"the XML is for form {envelope.form_id}, not {xml_form_id}")
    form = _form(link, xml_form_id, known)
    attachments = _attachment_list(item)
    scope = remote_ids.link_scope(link.actor_id)
    sha256 = hashlib.sha256(xml).hexdigest()
    extant = db.session.execute(select(
        SubmissionDef.id, SubmissionDef.xml_sha256, SubmissionDef.current, SubmissionDef.xml)
        .where(SubmissionDef.form_id == form.id,
               SubmissionDef.instance_id == envelope.instance_id)).first()
    if extant is not None and extant.xml_sha256 == sha256:
        present = _present(extant.id)
        if not extant.current or present >= len(attachments):
            return {"status": IngestStatus.DUPLICATE, "attachments": present}
    files, missing, staged = _gather(attachments, staging)
    if missing:
        return {"status": BatchStatus.MISSING, "missing": missing}
    meta = {"channel": item.raw.get("channel"), "deviceId": item.raw.get("deviceId"),
            "receivedAt": item.raw.get("receivedAt"), "submitter": item.raw.get("submitter"),
            "deprecatedId": envelope.deprecated_id}
    if extant is not None and extant.xml_sha256 != sha256:
        return _conflict(link, form, envelope.instance_id, "xml", extant.id, xml_text, meta,
                         files, staging, staged)
    if envelope.deprecated_id:
        parent = conflicts.find(scope, form.id, envelope.deprecated_id)
        if parent is not None and parent.resolved_at is None:
            return _conflict(link, form, envelope.instance_id, "chain", parent.def_id,
                             xml_text, meta, files, staging, staged)
    channel = item.text("channel", required=False, limit=20) or "sync"
    try:
        result: IngestResult = ingest(
            project_id=link.project_id, xml=xml, attachments=files,
            channel=channel if channel in CHANNELS else "sync",
            submitter_id=_person(link, item.raw.get("submitter")),
            device_id=item.text("deviceId", required=False),
            user_agent=item.text("userAgent", required=False, limit=500),
            form_id=xml_form_id, received_at=_received_at(item, "receivedAt"))
    except (errors.DeprecatingOldSubmission, errors.InstanceIdConflict):
        db.session.rollback()
        if _stored_as(form.id, envelope.instance_id) == sha256:
            # This very version, stored meanwhile by another copy of the batch (a retry
            # after a read timeout while the first copy was still being applied).
            return {"status": IngestStatus.DUPLICATE, "attachments": _present(
                _def_of(form.id, envelope.instance_id))}
        # Both sides edited the same version: keep the central chain, record the other.
        central_def = _current_of(form.id, envelope.deprecated_id or envelope.instance_id)
        return _conflict(link, form, envelope.instance_id, "edit", central_def, xml_text, meta,
                         files, staging, staged)
    except errors.IngestError as failure:
        raise _ItemError(failure.code, failure.message) from None
    for name in staged:
        staging.discard(name)
    return {"status": result.status,
            "attachments": _present(result.def_id) if attachments else 0}


def _stored_as(form_id: int, instance_id: str) -> str | None:
    """The sha256 of the XML stored for this instanceID (committed), or None."""
    return db.session.scalar(select(SubmissionDef.xml_sha256).where(
        SubmissionDef.form_id == form_id, SubmissionDef.instance_id == instance_id))


def _def_of(form_id: int, instance_id: str) -> int:
    return db.session.scalar(select(SubmissionDef.id).where(
        SubmissionDef.form_id == form_id, SubmissionDef.instance_id == instance_id))


def _current_of(form_id: int, instance_id: str) -> int | None:
    submission_id = db.session.scalar(select(SubmissionDef.submission_id).where(
        SubmissionDef.form_id == form_id, SubmissionDef.instance_id == instance_id))
    if submission_id is None:
        return None
    return db.session.scalar(select(SubmissionDef.id).where(
        SubmissionDef.submission_id == submission_id, SubmissionDef.current.is_(True)))


def _conflict(link: SyncLink, form: _FormRef, instance_id: str, reason: str, def_id: int | None,
              xml: str, meta: dict[str, Any], files: dict[str, bytes], staging: Staging,
              staged: list[str]) -> dict[str, Any]:
    scope = remote_ids.link_scope(link.actor_id)
    conflict = conflicts.find(scope, form.id, instance_id)
    if conflict is None:
        meta = {**meta, "attachments": conflicts.store_files(files)}
        conflict = conflicts.record(scope=scope, project_id=link.project_id, form_id=form.id,
                                    instance_id=instance_id, reason=reason, def_id=def_id,
                                    other_xml=xml, other_meta=meta)
    for name in staged:
        staging.discard(name)
    central_xml = db.session.scalar(select(SubmissionDef.xml).where(
        SubmissionDef.id == conflict.def_id)) if conflict.def_id else None
    return {"status": BatchStatus.CONFLICT, "conflict": {
        "id": conflict.id, "reason": conflict.reason, "centralXml": central_xml,
        "resolution": conflict.resolution}}


def _submission_of(link: SyncLink, item: _Item) -> tuple[Form, Submission]:
    form = db.session.get(Form, _form(link, item.text("xmlFormId")).id)
    instance_id = item.text("instanceId")
    submission = db.session.scalar(select(Submission).where(
        Submission.form_id == form.id, Submission.instance_id == instance_id,
        Submission.deleted_at.is_(None)))
    if submission is None:
        raise _ItemError(404.1, f"no submission {instance_id} of form {form.xml_form_id}")
    return form, submission


def _review(link: SyncLink, item: _Item, review: Review) -> dict[str, Any]:
    """The field office's current review state of a submission (last writer wins)."""
    state = item.text("reviewState", limit=20)
    if state not in REVIEWABLE:
        raise _ItemError(400.11, f"reviewState must be one of {', '.join(REVIEWABLE)}")
    form, submission = _submission_of(link, item)
    if submission.review_state != state:
        review(form, submission, state, link.actor_id)
        db.session.commit()
    return {"status": BatchStatus.OK}


def _comment(link: SyncLink, item: _Item) -> dict[str, Any]:
    """A comment made at the field office, stored once (keyed by its id there)."""
    key = item.raw.get("key")
    if key in (None, ""):
        raise _ItemError(400.2, "key (the comment's id at the field office) is required")
    scope = remote_ids.link_scope(link.actor_id)
    if remote_ids.local_id(scope, "comment", key) is not None:
        return {"status": BatchStatus.OK}
    body = item.text("body", limit=MAX_COMMENT)
    _, submission = _submission_of(link, item)
    author = _person(link, item.raw.get("author")) or link.actor_id
    comment = Comment(submission_id=submission.id, actor_id=author, body=body,
                      created_at=_received_at(item, "createdAt") or utcnow())
    db.session.add(comment)
    db.session.flush()
    remote_ids.remember(scope, "comment", key, comment.id)
    try:
        db.session.commit()
    except IntegrityError:  # the same comment from a concurrent run
        db.session.rollback()
    return {"status": BatchStatus.OK}

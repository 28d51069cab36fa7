"""Conflicts: the same instanceID with other content on the two sides. Nothing is overwritten.

Both versions are kept: this side's is a stored submission version (`def_id`), the other
side's is kept whole in the conflict row (XML, metadata, and its files as blobs). A manager
resolves a conflict on the central server:

- `central`: keep the central version; the field office's stays only in the conflict record.
- `field`: keep the field office's; it becomes the current version, as an edit of the central
  one (a submission's history is never rewritten, so the central version stays in it).
- `both`: keep both as an edit chain in the order they were first received, the later one
  current (when the field office's is older, the central content is re-stated after it).

Edits made here go through `sync.ingest` with instanceIDs derived from the conflict, so a
resolution that is retried stores nothing twice. The field office learns the resolution at
its next sync and closes its own copy of the conflict.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Blob, Submission, SubmissionAttachment, SubmissionDef, SyncConflict
from app.models.base import utcnow
from app.services import storage
from sync import ingest as ingest_module
from sync.instance_ids import derived_id, reidentify

KEEP = ("central", "field", "both")


class ResolutionRefused(Exception):
    """A conflict that cannot be resolved here (already resolved, or not on this side)."""


def record(*, scope: str, project_id: int, form_id: int, instance_id: str, reason: str,
           def_id: int | None, other_xml: str, other_meta: dict[str, Any]) -> SyncConflict:
    """Keep a conflict (once per scope, form and instanceID) and commit it."""
    existing = find(scope, form_id, instance_id)
    if existing is not None:
        return existing
    conflict = SyncConflict(scope=scope, project_id=project_id, form_id=form_id,
                            instance_id=instance_id, reason=reason, def_id=def_id,
                            other_xml=other_xml, other_meta=other_meta, created_at=utcnow())
    db.session.add(conflict)
    try:
        db.session.commit()
    except IntegrityError:  # recorded by a concurrent run
        db.session.rollback()
        found = find(scope, form_id, instance_id)
        assert found is not None
        return found
    return conflict


def find(scope: str, form_id: int, instance_id: str) -> SyncConflict | None:
    return db.session.scalar(select(SyncConflict).where(
        SyncConflict.scope == scope, SyncConflict.form_id == form_id,
        SyncConflict.instance_id == instance_id))


def store_files(files: dict[str, bytes]) -> list[dict[str, Any]]:
    """The other side's files, kept as blobs (not attached to any submission)."""
    kept = []
    for name, data in files.items():
        blob = storage.store_blob(data, None)
        kept.append({"name": name, "sha256": blob.sha256, "size": blob.size})
    return kept


def _files(meta: dict[str, Any]) -> dict[str, bytes]:
    out = {}
    for item in meta.get("attachments") or []:
        blob = db.session.scalar(select(Blob).where(Blob.sha256 == item.get("sha256")))
        if blob is not None:
            out[item["name"]] = storage.read_blob(blob)
    return out


def _current(def_id: int) -> SubmissionDef:
    submission_id = db.session.scalar(select(SubmissionDef.submission_id).where(
        SubmissionDef.id == def_id))
    return db.session.scalars(select(SubmissionDef).where(
        SubmissionDef.submission_id == submission_id, SubmissionDef.current.is_(True))).one()


def _def_files(def_id: int) -> dict[str, bytes]:
    out = {}
    for name, blob in db.session.execute(
            select(SubmissionAttachment.name, Blob).join(
                Blob, Blob.id == SubmissionAttachment.blob_id)
            .where(SubmissionAttachment.submission_def_id == def_id)):
        out[name] = storage.read_blob(blob)
    return out


def _received(meta: dict[str, Any]) -> datetime | None:
    raw = meta.get("receivedAt")
    try:
        return datetime.fromisoformat(str(raw).replace("Z", "+00:00")) if raw else None
    except ValueError:
        return None


def resolve(conflict: SyncConflict, keep: str, actor_id: int) -> SyncConflict:
    """Apply a manager's decision (see the module docstring) and close the conflict."""
    if keep not in KEEP:
        raise ValueError(f"keep must be one of {', '.join(KEEP)}")
    if conflict.resolved_at is not None:
        raise ResolutionRefused(f"this conflict was resolved ({conflict.resolution}) already")
    if not conflict.scope.startswith("link:"):
        raise ResolutionRefused("conflicts are resolved on the central server; this field "
                                "office closes its copy at the next sync")
    if keep != "central" and conflict.def_id is not None:
        _keep_field_version(conflict, keep == "both")
    conflict.resolution = keep
    conflict.resolved_at = utcnow()
    conflict.resolved_by = actor_id
    db.session.commit()
    return conflict


def _keep_field_version(conflict: SyncConflict, chronological: bool) -> None:
    meta = conflict.other_meta or {}
    current = _current(conflict.def_id)
    submission = db.session.get(Submission, current.submission_id)
    project_id, form_id = conflict.project_id, _xml_form_id(current.form_id)
    central_xml, central_id = current.xml, current.instance_id
    central_files = _def_files(current.id)
    field_at = _received(meta)
    field_id = derived_id(conflict.scope, conflict.id, "field")
    _ingest(project_id, form_id, reidentify(conflict.other_xml, field_id, central_id),
            _files(meta), meta, submission.submitter_id)
    if chronological and field_at is not None and field_at < current.created_at:
        # The field office's version came first: the central content, newer, stays current.
        restated = derived_id(conflict.scope, conflict.id, "central")
        _ingest(project_id, form_id, reidentify(central_xml, restated, field_id),
                central_files, {"channel": submission.channel, "deviceId": current.device_id},
                current.submitter_id)


def _xml_form_id(form_id: int) -> str:
    from app.models import Form

    return db.session.scalar(select(Form.xml_form_id).where(Form.id == form_id))


def _ingest(project_id: int, xml_form_id: str, xml: str, files: dict[str, bytes],
            meta: dict[str, Any], submitter_id: int | None) -> None:
    ingest_module.ingest(project_id=project_id, xml=xml.encode("utf-8"), attachments=files,
                         channel=str(meta.get("channel") or "sync")[:20],
                         submitter_id=submitter_id, device_id=meta.get("deviceId"),
                         user_agent="datashift-sync conflict resolution",
                         form_id=xml_form_id)

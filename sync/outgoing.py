"""Field side: what is waiting to go up to a peer, and what the peer has confirmed.

A local submission version is *waiting* until the central server has confirmed it (with as
many files as are here now), or answered that it conflicts; one it refused is retried at
every run. The peer's checkpoint (`cursor`) is the highest version id below which nothing is
waiting and every file a version names has arrived, so a run starts there instead of at the
beginning. Nothing is ever deleted here: confirmations only add `sync_sent` rows.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import aliased

from app.extensions import db
from app.models import (
    Actor,
    Audit,
    Blob,
    Comment,
    Form,
    Submission,
    SubmissionAttachment,
    SubmissionDef,
    SyncConflict,
    SyncPeer,
    SyncSent,
)
from app.models.base import utcnow
from app.models.sync import SentState
from app.services.storage import blob_path


@dataclass(frozen=True)
class File:
    name: str
    sha256: str
    size: int

    def path(self) -> str:
        return str(blob_path(self.sha256))


@dataclass
class Version:
    """One local submission version, as the push needs it."""

    def_id: int
    xml_form_id: str
    instance_id: str
    deprecated_id: str | None
    xml: str
    channel: str
    device_id: str | None
    user_agent: str | None
    received_at: Any
    submitter_id: int | None
    submitter_name: str | None
    files: list[File]

    def item(self) -> dict[str, Any]:
        """The batch item the central server's sync/receive.py reads."""
        return {"kind": "submission", "key": self.def_id, "xmlFormId": self.xml_form_id,
                "xml": self.xml, "channel": self.channel, "deviceId": self.device_id,
                "userAgent": self.user_agent, "receivedAt": utc_iso(self.received_at),
                "submitter": {"id": self.submitter_id, "name": self.submitter_name}
                if self.submitter_id is not None else None,
                "attachments": [{"name": f.name, "sha256": f.sha256, "size": f.size}
                                for f in self.files]}


def utc_iso(value: datetime) -> str:
    """Full precision (microseconds): the central server stores the very same instant."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _present_count():
    return (select(func.count(SubmissionAttachment.id))
            .where(SubmissionAttachment.submission_def_id == SubmissionDef.id,
                   SubmissionAttachment.blob_id.is_not(None))
            .correlate(SubmissionDef).scalar_subquery())


def _expected_count():
    return (select(func.count(SubmissionAttachment.id))
            .where(SubmissionAttachment.submission_def_id == SubmissionDef.id)
            .correlate(SubmissionDef).scalar_subquery())


def _sent(peer: SyncPeer):
    sent = aliased(SyncSent)
    return sent, and_(sent.submission_def_id == SubmissionDef.id, sent.peer_id == peer.id)


def waiting(peer: SyncPeer, after: int, limit: int) -> list[Version]:
    """Up to `limit` waiting versions with id > `after`, oldest first (an edit always comes
    after the version it replaces)."""
    sent, on = _sent(peer)
    submitter = aliased(Actor)
    rows = db.session.execute(
        select(SubmissionDef.id, Form.xml_form_id, SubmissionDef.instance_id,
               SubmissionDef.deprecated_id, SubmissionDef.xml, Submission.channel,
               SubmissionDef.device_id, SubmissionDef.user_agent, SubmissionDef.created_at,
               SubmissionDef.submitter_id, submitter.display_name)
        .join(Submission, Submission.id == SubmissionDef.submission_id)
        .join(Form, Form.id == SubmissionDef.form_id)
        .outerjoin(submitter, submitter.id == SubmissionDef.submitter_id)
        .outerjoin(sent, on)
        .where(Form.project_id == peer.project_id, SubmissionDef.id > after,
               or_(sent.state.is_(None), sent.state == SentState.REJECTED,
                   and_(sent.state == SentState.CONFIRMED, sent.attachments < _present_count())))
        .order_by(SubmissionDef.id).limit(limit)).all()
    files = _files([row[0] for row in rows])
    return [Version(*row, files=files.get(row[0], [])) for row in rows]


def _files(def_ids: list[int]) -> dict[int, list[File]]:
    out: dict[int, list[File]] = {}
    for def_id, name, sha256, size in db.session.execute(
            select(SubmissionAttachment.submission_def_id, SubmissionAttachment.name,
                   Blob.sha256, Blob.size)
            .join(Blob, Blob.id == SubmissionAttachment.blob_id)
            .where(SubmissionAttachment.submission_def_id.in_(def_ids or [-1]))
            .order_by(SubmissionAttachment.submission_def_id, SubmissionAttachment.name)):
        out.setdefault(def_id, []).append(File(name, sha256, size))
    return out


def confirm(peer: SyncPeer, def_id: int, state: str, files: int = 0,
            detail: str | None = None) -> None:
    """Record the central server's answer for one version (the caller commits)."""
    row = db.session.get(SyncSent, (peer.id, def_id))
    if row is None:
        row = SyncSent(peer_id=peer.id, submission_def_id=def_id)
        db.session.add(row)
    row.state, row.attachments, row.detail, row.updated_at = state, files, detail, utcnow()


def advance_cursor(peer: SyncPeer) -> int:
    """Move the checkpoint up to just below the oldest version not done (the caller
    commits); a version is done once confirmed with every file it names, or in conflict."""
    sent, on = _sent(peer)
    not_done = (select(func.min(SubmissionDef.id))
                .join(Form, Form.id == SubmissionDef.form_id).outerjoin(sent, on)
                .where(Form.project_id == peer.project_id, SubmissionDef.id > peer.cursor,
                       or_(sent.state.is_(None), sent.state == SentState.REJECTED,
                           and_(sent.state == SentState.CONFIRMED,
                                sent.attachments < _expected_count()))))
    first = db.session.scalar(not_done)
    if first is None:
        first = (db.session.scalar(
            select(func.max(SubmissionDef.id)).join(Form, Form.id == SubmissionDef.form_id)
            .where(Form.project_id == peer.project_id)) or 0) + 1
    peer.cursor = max(peer.cursor, first - 1)
    return peer.cursor


def waiting_totals(peer: SyncPeer) -> tuple[int, int]:
    """(versions, bytes) waiting: XML and the files not yet confirmed."""
    count = total = 0
    after = peer.cursor
    while True:
        versions = waiting(peer, after, 500)
        if not versions:
            return count, total
        for version in versions:
            count += 1
            total += len(version.xml.encode()) + sum(f.size for f in version.files)
        after = versions[-1].def_id


def sent_state(peer: SyncPeer, form_id: int, instance_id: str) -> str | None:
    """What the central server said about a submission's first version."""
    return db.session.scalar(
        select(SyncSent.state).join(SubmissionDef,
                                    SubmissionDef.id == SyncSent.submission_def_id)
        .where(SyncSent.peer_id == peer.id, SubmissionDef.form_id == form_id,
               SubmissionDef.instance_id == instance_id))


def review_changes(peer: SyncPeer, limit: int = 200) -> list[tuple[int, Any]]:
    """(audit id, row) of review decisions after the peer's review checkpoint; each row
    carries the submission's *current* review state (the last decision wins)."""
    return [(row.id, row) for row in db.session.execute(
        select(Audit.id, Submission.id.label("submission_id"), Submission.form_id,
               Submission.instance_id, Submission.review_state, Form.xml_form_id)
        .join(Submission, Submission.id == Audit.submission_id)
        .join(Form, Form.id == Submission.form_id)
        .where(Audit.project_id == peer.project_id, Audit.action == "submission.update",
               Audit.id > peer.review_cursor)
        .order_by(Audit.id).limit(limit))]


def new_comments(peer: SyncPeer, limit: int = 200) -> list[Any]:
    author = aliased(Actor)
    return list(db.session.execute(
        select(Comment.id, Comment.body, Comment.created_at, Comment.actor_id,
               author.display_name, Submission.form_id, Submission.instance_id,
               Form.xml_form_id)
        .join(Submission, Submission.id == Comment.submission_id)
        .join(Form, Form.id == Submission.form_id)
        .outerjoin(author, author.id == Comment.actor_id)
        .where(Form.project_id == peer.project_id, Comment.id > peer.comment_cursor)
        .order_by(Comment.id).limit(limit)))


def open_conflicts(peer: SyncPeer) -> int:
    return db.session.scalar(select(func.count(SyncConflict.id)).where(
        SyncConflict.scope == f"peer:{peer.id}", SyncConflict.resolved_at.is_(None))) or 0

"""Field-office sync: links issued by the central server, peers paired at a field office,
what each peer has had confirmed, conflicts kept on both sides, and id mappings.

A central server issues a *link* (a credential scoped to one project, its own actor type);
a field office that pairs with it keeps a *peer* row (where, how, encrypted credential, its
checkpoints). Both sides keep *conflicts* (the same instanceID with other content).
"""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.actors import Actor
from app.models.base import JSONType, UTCDateTime, utcnow

SYNC_DIALECTS = ("datashift", "central")


class SentState(StrEnum):
    """What the central server said about a local submission version."""

    CONFIRMED = "confirmed"
    CONFLICT = "conflict"
    REJECTED = "rejected"


SENT_STATES: tuple[str, ...] = tuple(s.value for s in SentState)
CONFLICT_REASONS = ("xml", "edit", "chain")
RESOLUTIONS = ("central", "field", "both")


class SyncLink(db.Model):
    """Central side: an upstream credential for one project (actor type `sync_link`).

    The token is stored as its SHA-256 and shown once; revoking drops the hash, so the next
    request with it is refused. `cursor` is this side's checkpoint: the field office's batch
    cursor up to which everything it sent is stored here."""

    __tablename__ = "sync_links"
    actor_id: Mapped[int] = mapped_column(ForeignKey("actors.id"), primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("actors.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_contact_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cursor: Mapped[int] = mapped_column(Integer, default=0)
    received: Mapped[int] = mapped_column(Integer, default=0)
    actor: Mapped[Actor] = relationship(lazy="joined", foreign_keys=[actor_id])


class SyncPeer(db.Model):
    """Field side: the central server this office syncs a local project with.

    `credentials` is app.crypto.encrypt_json({"token"} or {"email", "password"}). Checkpoints:
    every local submission version with id <= `cursor` is confirmed by the central server
    with all its files; review changes (audit ids) and comments (ids) up to theirs are sent.
    `lock_owner`/`lock_expires_at` make two runs at once harmless (a lease)."""

    __tablename__ = "sync_peers"
    __table_args__ = (UniqueConstraint("url", "remote_project_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    remote_project_id: Mapped[int] = mapped_column(Integer)
    dialect: Mapped[str] = mapped_column(String(16), default="datashift")
    credentials: Mapped[str] = mapped_column(Text)
    display_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    verify_tls: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_contact_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    cursor: Mapped[int] = mapped_column(Integer, default=0)
    review_cursor: Mapped[int] = mapped_column(Integer, default=0)
    comment_cursor: Mapped[int] = mapped_column(Integer, default=0)
    lock_owner: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lock_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class SyncSent(db.Model):
    """Field side: what the central server said about one local submission version."""

    __tablename__ = "sync_sent"
    peer_id: Mapped[int] = mapped_column(ForeignKey("sync_peers.id"), primary_key=True)
    submission_def_id: Mapped[int] = mapped_column(ForeignKey("submission_defs.id"),
                                                   primary_key=True)
    state: Mapped[str] = mapped_column(String(16))  # a SentState
    # How many of the version's files the central server has confirmed.
    attachments: Mapped[int] = mapped_column(Integer, default=0)
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SyncConflict(db.Model):
    """The same instanceID with other content on the two sides: nothing is overwritten.

    Kept on both sides: `scope` is "link:{actor id}" at the central server, "peer:{id}" at
    the field office. `def_id` is this side's version; the other side's is kept here whole
    (`other_xml`, `other_meta`: channel, receivedAt, deviceId, submitter, deprecatedId and
    attachments [{name, sha256}] whose bytes are blobs on this side)."""

    __tablename__ = "sync_conflicts"
    __table_args__ = (UniqueConstraint("scope", "form_id", "instance_id"),
                      Index("ix_sync_conflicts_project_resolved", "project_id", "resolved_at"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(64))
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    form_id: Mapped[int] = mapped_column(ForeignKey("forms.id"))
    instance_id: Mapped[str] = mapped_column(String(255))
    reason: Mapped[str] = mapped_column(String(16))  # CONFLICT_REASONS
    def_id: Mapped[int | None] = mapped_column(ForeignKey("submission_defs.id"), nullable=True)
    other_xml: Mapped[str] = mapped_column(Text)
    other_meta: Mapped[dict] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolution: Mapped[str | None] = mapped_column(String(16), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("actors.id"), nullable=True)


class SyncId(db.Model):
    """A remote id and the local row it became, per source ("link:5", "import:<url>#3"):
    what makes comments and people from another server arrive exactly once."""

    __tablename__ = "sync_ids"
    __table_args__ = (UniqueConstraint("scope", "kind", "remote_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(16))  # "actor" | "comment"
    remote_id: Mapped[str] = mapped_column(String(255))
    local_id: Mapped[int] = mapped_column(Integer)

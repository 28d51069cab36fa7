"""SMS/USSD: channels (a provider account + address bound to a project), the people who text
them (contacts, numbers kept only as a keyed hash + an encrypted copy), conversations and
every message in and out."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import JSONType, UTCDateTime, partial_unique_index, utcnow

CHANNEL_PROVIDERS = ("africastalking", "twilio", "simulator")
CHANNEL_KINDS = ("sms", "ussd", "whatsapp")


class ErasureStatus(StrEnum):
    """A citizen's DELETE: waiting for their answer, done, or declined by them."""

    PENDING = "pending"
    ERASED = "erased"
    KEPT = "kept"


ERASURE_STATES: tuple[str, ...] = tuple(s.value for s in ErasureStatus)


class Channel(db.Model):
    """A provider account and address bound to a project; `actor_id` is its own actor (type
    "channel", never able to log in), the submitter of every survey answered through it."""

    __tablename__ = "channels"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    provider: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(10))
    address: Mapped[str] = mapped_column(String(64), default="")
    # Fernet tokens (app.crypto): provider credentials as JSON, and the callback URL secret.
    credentials: Mapped[str | None] = mapped_column(Text, nullable=True)
    secret: Mapped[str] = mapped_column(Text)
    settings: Mapped[dict] = mapped_column(JSONType, default=dict)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("actors.id"), nullable=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("actors.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Contact(db.Model):
    """A person who texted a project; opted out until they send START."""

    __tablename__ = "contacts"
    __table_args__ = (UniqueConstraint("project_id", "phone_hash"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    phone_hash: Mapped[str] = mapped_column(String(64))  # HMAC-SHA256 under PHONE_HASH_KEY
    phone_encrypted: Mapped[str] = mapped_column(Text)  # Fernet, only to reply
    language: Mapped[str | None] = mapped_column(String(32), nullable=True)
    opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Set by DELETE until the person confirms (or not); set by the erasure itself: the row is
    # then nameless (its hash replaced) and kept only until the last reply is sent.
    erasure_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Conversation(db.Model):
    """One survey with one person over one channel; `state` is the engine's, as JSON."""

    __tablename__ = "conversations"
    __table_args__ = (
        # At most one open conversation per person and channel, whatever the workers do.
        partial_unique_index("uq_conversations_active", "channel_id", "contact_id",
                             where="status = 'active'"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"), index=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    # NULL while a USSD caller is still choosing a form from the menu.
    form_id: Mapped[int | None] = mapped_column(ForeignKey("forms.id"), nullable=True)
    form_version_id: Mapped[int | None] = mapped_column(ForeignKey("form_versions.id"),
                                                        nullable=True)
    medium: Mapped[str] = mapped_column(String(10))
    # An sms_flows.types.ConversationStatus (the models may not import sms_flows: the literal
    # is checked against the enum by tests/test_statuses.py).
    status: Mapped[str] = mapped_column(String(20), default="active")
    language: Mapped[str | None] = mapped_column(String(32), nullable=True)
    session_key: Mapped[str | None] = mapped_column(String(255), nullable=True)
    state: Mapped[dict] = mapped_column(JSONType, default=dict)
    # Optimistic lock: a stale writer fails instead of overwriting a newer state.
    version: Mapped[int] = mapped_column(Integer, default=1)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    instance_xml: Mapped[str | None] = mapped_column(Text, nullable=True)  # to ingest
    instance_id: Mapped[str | None] = mapped_column(String(255), nullable=True)  # once ingested
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Answers and message texts removed (a sensitive form finished, a consent declined).
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __mapper_args__ = {"version_id_col": version}

    contact: Mapped[Contact] = relationship()
    channel: Mapped[Channel] = relationship()


class Message(db.Model):
    """A text in or out. Inbound is deduplicated by the provider's id (providers retry)."""

    __tablename__ = "messages"
    __table_args__ = (UniqueConstraint("channel_id", "direction", "provider_message_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"),
                                                        nullable=True, index=True)
    direction: Mapped[str] = mapped_column(String(3))  # "in" | "out"
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))  # an sms_flows.types.MessageStatus
    provider_status: Mapped[str | None] = mapped_column(String(64), nullable=True)
    provider_message_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    status_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ErasureRequest(db.Model):
    """A citizen's DELETE, for managers to see: when, by which channel, what was erased.

    Holds no personal data: the contact is linked only while the request is pending, and the
    counts say what was erased, never what it was."""

    __tablename__ = "erasure_requests"
    __table_args__ = (Index("ix_erasure_requests_project_requested", "project_id",
                            "requested_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channels.id"), nullable=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), nullable=True)
    via: Mapped[str] = mapped_column(String(10))  # sms | ussd | whatsapp
    status: Mapped[str] = mapped_column(String(10), default=ErasureStatus.PENDING)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    submissions: Mapped[int] = mapped_column(Integer, default=0)
    conversations: Mapped[int] = mapped_column(Integer, default=0)
    messages: Mapped[int] = mapped_column(Integer, default=0)

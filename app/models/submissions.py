"""Submissions and their edit chain: one Submission, one SubmissionDef per version of its XML."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import JSONType, UTCDateTime, utcnow

CHANNELS = ("collect", "api", "sms", "ussd", "whatsapp", "compact", "sync")


class Submission(db.Model):
    """The logical record a volunteer or citizen sent; its first instanceID names it."""

    __tablename__ = "submissions"
    # Exports and OData pages read a form's submissions newest first (created_at DESC, id
    # DESC): this index gives that order (scanned backwards) without sorting wide rows.
    __table_args__ = (UniqueConstraint("form_id", "instance_id"),
                      Index("ix_submissions_form_created", "form_id", "created_at", "id"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("forms.id"), index=True)
    instance_id: Mapped[str] = mapped_column(String(255))
    submitter_id: Mapped[int | None] = mapped_column(ForeignKey("actors.id"), nullable=True)
    device_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    channel: Mapped[str] = mapped_column(String(20), default="collect")
    # A forms.review.ReviewState; NULL (never reviewed) reads as ReviewState.RECEIVED.
    review_state: Mapped[str | None] = mapped_column(String(20), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    defs: Mapped[list[SubmissionDef]] = relationship(
        back_populates="submission", order_by="SubmissionDef.id"
    )


class SubmissionDef(db.Model):
    """One version of a submission's XML. The raw XML is never altered."""

    __tablename__ = "submission_defs"
    # (form, instanceID) is the idempotency key across every version, so that an instanceID
    # used by an edit cannot be reused by a new submission, and retries never double-store.
    __table_args__ = (
        UniqueConstraint("form_id", "instance_id"),
        Index("ix_submission_defs_current", "submission_id", "current"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("forms.id"))
    form_version_id: Mapped[int] = mapped_column(ForeignKey("form_versions.id"), index=True)
    instance_id: Mapped[str] = mapped_column(String(255))
    deprecated_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    instance_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    xml: Mapped[str] = mapped_column(Text)
    xml_sha256: Mapped[str] = mapped_column(String(64))
    # The instance flattened to the form's columns (forms.flatten), for querying and export.
    data: Mapped[dict] = mapped_column(JSONType, default=dict)
    submitter_id: Mapped[int | None] = mapped_column(ForeignKey("actors.id"), nullable=True)
    device_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    user_agent: Mapped[str | None] = mapped_column(String(500), nullable=True)
    current: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    submission: Mapped[Submission] = relationship(back_populates="defs")
    attachments: Mapped[list[SubmissionAttachment]] = relationship(
        back_populates="submission_def", order_by="SubmissionAttachment.name"
    )


class SubmissionAttachment(db.Model):
    """A file a submission version names; blob_id stays NULL until the file has arrived."""

    __tablename__ = "submission_attachments"
    __table_args__ = (UniqueConstraint("submission_def_id", "name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_def_id: Mapped[int] = mapped_column(ForeignKey("submission_defs.id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    blob_id: Mapped[int | None] = mapped_column(ForeignKey("blobs.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    submission_def: Mapped[SubmissionDef] = relationship(back_populates="attachments")


class Comment(db.Model):
    __tablename__ = "comments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("actors.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Audit(db.Model):
    """Who did what, when: review changes, clear-number exports, publishes."""

    __tablename__ = "audits"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("actors.id"), nullable=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"), nullable=True)
    form_id: Mapped[int | None] = mapped_column(ForeignKey("forms.id"), nullable=True)
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id"), nullable=True)
    details: Mapped[dict] = mapped_column(JSONType, default=dict)
    logged_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class PipelineOutbox(db.Model):
    """Work for the pipeline, written in the submission's own transaction (transactional outbox)."""

    __tablename__ = "pipeline_outbox"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_def_id: Mapped[int] = mapped_column(ForeignKey("submission_defs.id"), index=True)
    event: Mapped[str] = mapped_column(String(32), default="submission.created")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    enqueued_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)

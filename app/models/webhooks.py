"""Outbound webhooks: a form's subscribers, and one delivery-log row per event sent to one."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import JSONType, UTCDateTime, utcnow

WEBHOOK_EVENTS = ("submission.created", "submission.updated", "submission.reviewed")


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    RETRYING = "retrying"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


DELIVERY_STATES: tuple[str, ...] = tuple(s.value for s in DeliveryStatus)
# Nothing more will be tried (a failed delivery may still be re-sent by hand).
SETTLED: tuple[str, ...] = (DeliveryStatus.SUCCEEDED, DeliveryStatus.CANCELLED)


class Webhook(db.Model):
    """A receiver of a form's submission events; its signing secret is stored encrypted."""

    __tablename__ = "webhooks"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    form_id: Mapped[int] = mapped_column(ForeignKey("forms.id"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(Text)  # app.crypto.encrypt(secret)
    include_xml: Mapped[bool] = mapped_column(Boolean, default=False)
    events: Mapped[list] = mapped_column(JSONType, default=list)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("actors.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class WebhookDelivery(db.Model):
    """One event for one webhook: attempts, the last answer, when it was delivered.

    `dedupe_key` ("submission.created:<def id>") makes a version's created/updated event
    unique per webhook, so a pipeline retry or re-run never sends it twice; review events
    leave it NULL (NULLs never collide), since a submission may be reviewed many times.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (UniqueConstraint("webhook_id", "dedupe_key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id"))
    guid: Mapped[str] = mapped_column(String(36), unique=True)
    event: Mapped[str] = mapped_column(String(32))
    dedupe_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id"),
                                                       nullable=True)
    submission_def_id: Mapped[int | None] = mapped_column(ForeignKey("submission_defs.id"),
                                                           nullable=True)
    # What the event alone knows, e.g. {"reviewState", "previousReviewState", "actorId"}.
    details: Mapped[dict] = mapped_column(JSONType, default=dict)
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    response_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

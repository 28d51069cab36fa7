"""Forms, their versions (drafts and published) and their media slots."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import JSONType, UTCDateTime, partial_unique_index, utcnow


class FormState(StrEnum):
    """Open takes submissions; closing keeps them coming from devices that have the form but
    offers it to no new one; closed takes none."""

    OPEN = "open"
    CLOSING = "closing"
    CLOSED = "closed"


FORM_STATES: tuple[str, ...] = tuple(s.value for s in FormState)


class Blob(db.Model):
    """Content-addressed bytes on disk under STORAGE_DIR (form media and submission attachments)."""

    __tablename__ = "blobs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    md5: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str | None] = mapped_column(String(255), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Form(db.Model):
    __tablename__ = "forms"
    __table_args__ = (
        UniqueConstraint("project_id", "xml_form_id"),
        # A keyword routes a text to one form of a project; NULL means "no SMS keyword".
        partial_unique_index("uq_forms_project_sms_keyword", "project_id", "sms_keyword",
                             where="sms_keyword IS NOT NULL"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    xml_form_id: Mapped[str] = mapped_column(String(255))
    state: Mapped[str] = mapped_column(String(10), default=FormState.OPEN)
    sms_keyword: Mapped[str | None] = mapped_column(String(64), nullable=True)
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("form_versions.id", use_alter=True), nullable=True
    )
    draft_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("form_versions.id", use_alter=True), nullable=True
    )
    created_by: Mapped[int | None] = mapped_column(ForeignKey("actors.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    current_version: Mapped[FormVersion | None] = relationship(
        foreign_keys=[current_version_id], post_update=True
    )
    draft_version: Mapped[FormVersion | None] = relationship(
        foreign_keys=[draft_version_id], post_update=True
    )


class FormVersion(db.Model):
    """One definition of a form: a draft until published_at is set, then immutable."""

    __tablename__ = "form_versions"
    __table_args__ = (
        partial_unique_index("uq_form_versions_published_version", "form_id", "version",
                             where="published_at IS NOT NULL"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("forms.id"), index=True)
    version: Mapped[str] = mapped_column(String(255), default="")
    name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    xml: Mapped[str] = mapped_column(Text)
    hash: Mapped[str] = mapped_column(String(32))  # MD5 of exactly the bytes served to Collect
    sha256: Mapped[str] = mapped_column(String(64))
    xlsform: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    xlsform_content_type: Mapped[str | None] = mapped_column(String(255), nullable=True)
    sdg_mapping: Mapped[dict] = mapped_column(JSONType, default=dict)
    disaggregation: Mapped[dict] = mapped_column(JSONType, default=dict)
    # Indicators the XLSForm's `indicators` sheet declares (IndicatorSpec JSON), made live
    # when this version is published.
    indicators: Mapped[list] = mapped_column(JSONType, default=list)
    sms_keyword: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # consent / sensitive / sms_progress: forms.settings.ConversationSettings.to_json()
    conversation: Mapped[dict] = mapped_column(JSONType, default=dict)
    validated: Mapped[bool] = mapped_column(Boolean, default=False)
    warnings: Mapped[list] = mapped_column(JSONType, default=list)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("actors.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    attachments: Mapped[list[FormAttachment]] = relationship(
        back_populates="form_version", order_by="FormAttachment.name"
    )


class FormAttachment(db.Model):
    """A media slot the form refers to; present once a file fills it."""

    __tablename__ = "form_attachments"
    __table_args__ = (UniqueConstraint("form_version_id", "name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    form_version_id: Mapped[int] = mapped_column(ForeignKey("form_versions.id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(20))  # image | audio | video | file
    blob_id: Mapped[int | None] = mapped_column(ForeignKey("blobs.id"), nullable=True)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    form_version: Mapped[FormVersion] = relationship(back_populates="attachments")
    blob: Mapped[Blob | None] = relationship(lazy="joined")

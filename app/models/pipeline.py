"""What the pipeline produces per submission version: a cleaned record and its SDG tags."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import JSONType, UTCDateTime, utcnow

TAG_SOURCES = ("form", "model")


class CleanedRecord(db.Model):
    """The typed, normalised answers of one SubmissionDef; its raw XML stays untouched."""

    __tablename__ = "cleaned_records"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_def_id: Mapped[int] = mapped_column(
        ForeignKey("submission_defs.id"), unique=True)
    record: Mapped[dict] = mapped_column(JSONType, default=dict)
    # [{"field", "code", "reason", "value"}]: values we doubt, kept as sent.
    flags: Mapped[list] = mapped_column(JSONType, default=list)
    # {"sex": ..., "age": ..., "location": {...}} from the questions the form marks.
    disaggregation: Mapped[dict] = mapped_column(JSONType, default=dict)
    pipeline_version: Mapped[str] = mapped_column(String(64))
    # Hash of the SDG mapping and classifier version the tags were made with (retag detection).
    tags_key: Mapped[str] = mapped_column(String(64), default="")
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SdgTag(db.Model):
    """One SDG goal/target/indicator a submission version speaks to, and why we think so."""

    __tablename__ = "sdg_tags"
    # Absent target/indicator/field are stored as "" (not NULL) so this key really is unique:
    # NULLs never collide in a UNIQUE constraint on SQLite or PostgreSQL.
    __table_args__ = (UniqueConstraint(
        "submission_def_id", "goal", "target", "indicator", "source", "field",
        name="uq_sdg_tags_key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_def_id: Mapped[int] = mapped_column(ForeignKey("submission_defs.id"), index=True)
    goal: Mapped[int] = mapped_column(Integer, index=True)
    target: Mapped[str] = mapped_column(String(16), default="")
    indicator: Mapped[str] = mapped_column(String(24), default="")
    source: Mapped[str] = mapped_column(String(8))  # form | model
    score: Mapped[float] = mapped_column(Float)
    field: Mapped[str] = mapped_column(String(500), default="")
    version: Mapped[str] = mapped_column(String(100))

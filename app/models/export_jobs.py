"""Large exports run in the background: one row per requested export file."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import JSONType, UTCDateTime, utcnow


class ExportStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


EXPORT_JOB_STATES: tuple[str, ...] = tuple(s.value for s in ExportStatus)
# Still to run: a worker has it, or will.
UNFINISHED: tuple[str, ...] = (ExportStatus.QUEUED, ExportStatus.RUNNING)
FINISHED: tuple[str, ...] = (ExportStatus.DONE, ExportStatus.FAILED)


class ExportJob(db.Model):
    """An export (an ExportSpec, as JSON) written to a file under STORAGE_DIR/exports/ by an RQ
    job, with its progress; the file and the row go once `expires_at` has passed."""

    __tablename__ = "export_jobs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("forms.id"), index=True)
    # Who asked: the file keeps their phone policy; a clear-number file is theirs alone.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("actors.id"))
    format: Mapped[str] = mapped_column(String(32))
    spec: Mapped[dict] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(String(16), default=ExportStatus.QUEUED)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int | None] = mapped_column(Integer)
    file_name: Mapped[str | None] = mapped_column(String(255))
    file_size: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

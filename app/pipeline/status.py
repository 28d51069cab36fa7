"""The pipeline's numbers for /health: pending outbox rows, queue depths, failed jobs."""
from __future__ import annotations

from typing import Any

from redis.exceptions import RedisError
from sqlalchemy import func, select

from app.extensions import db
from app.models import PipelineOutbox
from app.pipeline import queues, retry


def pipeline_status() -> dict[str, Any]:
    """Never raises for a down Redis: that is what an operator wants to see here."""
    pending = db.session.scalar(select(func.count()).select_from(PipelineOutbox).where(
        PipelineOutbox.processed_at.is_(None))) or 0
    out: dict[str, Any] = {"mode": "queued" if queues.redis_url() else "inline",
                           "pendingOutbox": pending}
    if queues.redis_url() is None:
        out["failed"] = db.session.scalar(select(func.count()).select_from(PipelineOutbox).where(
            PipelineOutbox.processed_at.is_(None),
            PipelineOutbox.attempts >= retry.inline_max_attempts())) or 0
        return out
    try:
        depths, failed, started = {}, 0, 0
        for queue in queues.all_queues():
            depths[queue.name] = queue.count
            failed += queue.failed_job_registry.count
            started += queue.started_job_registry.count
        out.update(redis="ok", queues=depths, started=started, failed=failed)
    except RedisError as error:
        out.update(redis="unreachable", error=error.__class__.__name__)
    return out

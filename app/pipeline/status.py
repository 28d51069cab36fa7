"""The pipeline's numbers for /health: pending outbox rows, queue depths, failed jobs."""
from __future__ import annotations

from typing import Any

from redis.exceptions import RedisError

from app import queues
from app.pipeline import retry
from app.queries import outbox


def pipeline_status() -> dict[str, Any]:
    """Never raises for a down Redis: that is what an operator wants to see here."""
    out: dict[str, Any] = {"mode": "queued" if queues.redis_url() else "inline",
                           "pendingOutbox": outbox.count_pending()}
    if queues.redis_url() is None:
        out["failed"] = outbox.count_pending(min_attempts=retry.inline_max_attempts())
        return out
    try:
        depths, failed, started = {}, 0, 0
        for queue in retry.pipeline_queues():
            depths[queue.name] = queue.count
            failed += queue.failed_job_registry.count
            started += queue.started_job_registry.count
        out.update(redis="ok", queues=depths, started=started, failed=failed)
    except RedisError as error:
        out.update(redis="unreachable", error=error.__class__.__name__)
    return out

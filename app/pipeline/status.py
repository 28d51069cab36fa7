"""The pipeline's numbers for /health: pending outbox rows, queue depths, failed jobs."""
from __future__ import annotations

from typing import Any

from redis.exceptions import RedisError

from app import queues
from app.pipeline import retry
from app.queries import outbox
from app.queries.pipeline_health import PipelineState, state_of


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


def version_status(def_id: int) -> dict[str, Any]:
    """Where one submission version stands in the pipeline (its newest outbox row): `processed`,
    `pending`, `failing` (an error, retries to come or spent: `GET /v1/pipeline/failed`) or
    `quarantined` (it killed its worker; not run again until retry-failed); with the error."""
    row = outbox.latest_for(def_id)
    if row is None or row.processed_at is not None:
        return {"status": PipelineState.PROCESSED, "attempts": row.attempts if row else 0,
                "error": None, "processedAt": row.processed_at.isoformat() if row else None}
    return {"status": state_of(row.last_error), "attempts": row.attempts,
            "error": row.last_error, "processedAt": None}

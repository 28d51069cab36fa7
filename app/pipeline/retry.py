"""Jobs that failed their last retry: list them and send them round again.

Queued mode reads RQ's failed registries; inline mode has no Redis, so a row that failed
`PIPELINE_MAX_RETRIES + 1` times counts as failed.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from app.extensions import db
from app.models import PipelineOutbox
from app.pipeline import jobs, poison, queues


def inline_max_attempts() -> int:
    return queues.max_retries() + 1


def failed_jobs() -> list[dict[str, Any]]:
    """What failed for good, newest last: job id, outbox row, def, queue, the last error."""
    if queues.redis_url() is None:
        rows = db.session.scalars(select(PipelineOutbox).where(
            PipelineOutbox.processed_at.is_(None),
            PipelineOutbox.attempts >= inline_max_attempts()).order_by(PipelineOutbox.id))
        return [{"id": f"outbox-{r.id}", "outboxId": r.id, "submissionDefId": r.submission_def_id,
                 "queue": None, "attempts": r.attempts, "error": r.last_error,
                 "endedAt": None} for r in rows]
    out = []
    for queue in queues.all_queues():
        registry = queue.failed_job_registry
        for job in queue.job_class.fetch_many(registry.get_job_ids(), connection=queue.connection):
            if job is None:
                continue
            outbox_id = queues.outbox_id_of(job.id)
            row = db.session.get(PipelineOutbox, outbox_id) if outbox_id else None
            out.append({
                "id": job.id, "outboxId": outbox_id,
                "submissionDefId": row.submission_def_id if row else None,
                "queue": queue.name, "attempts": row.attempts if row else None,
                "error": _error(job) or (row.last_error if row else None),
                "endedAt": job.ended_at.isoformat() if job.ended_at else None})
    return out


def retry_failed() -> int:
    """Send every failed job round again with a fresh set of retries; -> how many."""
    if queues.redis_url() is None:
        ids = list(db.session.scalars(select(PipelineOutbox.id).where(
            PipelineOutbox.processed_at.is_(None),
            PipelineOutbox.attempts >= inline_max_attempts())))
        if ids:
            db.session.execute(update(PipelineOutbox).where(PipelineOutbox.id.in_(ids))
                               .values(attempts=0))
            db.session.commit()
            jobs.run_inline(ids)
        return len(ids)
    count = 0
    for queue in queues.all_queues():
        registry = queue.failed_job_registry
        for job_id in registry.get_job_ids():
            job = queue.fetch_job(job_id)
            if job is None:
                registry.remove(job_id)
                continue
            job.retries_left = queues.max_retries()
            outbox_id = queues.outbox_id_of(job.id)
            if outbox_id is not None:
                poison.forget([outbox_id])  # a quarantined row gets its chances again
            registry.requeue(job)
            count += 1
    return count


def _error(job) -> str | None:
    """The last line of the job's latest traceback ("RuntimeError: ...")."""
    result = job.latest_result()
    exc_string = getattr(result, "exc_string", None) if result is not None else None
    lines = [line for line in (exc_string or "").strip().splitlines() if line.strip()]
    return lines[-1][:500] if lines else None


"""Jobs that failed their last retry: list them and send them round again.

Queued mode reads RQ's failed registries, plus the SMS sends, webhook deliveries and export
jobs that were quarantined (app/quarantine.py); inline mode has no Redis, so a row that failed
`PIPELINE_MAX_RETRIES + 1` times counts as failed.
"""
from __future__ import annotations

from typing import Any

from app import quarantine, queues
from app.config import setting
from app.extensions import db
from app.models import PipelineOutbox
from app.pipeline import dispatch, jobs, poison
from app.queries import outbox


def inline_max_attempts() -> int:
    return int(setting("PIPELINE_MAX_RETRIES")) + 1


def pipeline_queues() -> list:
    """The pipeline's own queues (fresh, then bulk)."""
    return queues.worker_queues((queues.FRESH, queues.BULK))


def failed_jobs() -> list[dict[str, Any]]:
    """What failed for good: the pipeline's jobs (kind `pipeline`: job id, outbox row, def,
    queue, the last error), then quarantined SMS sends, webhook deliveries and export jobs
    (kind `sms` | `webhook` | `export`, `ref`: the message, delivery or export job id)."""
    if queues.redis_url() is None:
        return [{"id": f"outbox-{r.id}", "kind": quarantine.PIPELINE, "ref": r.id,
                 "outboxId": r.id, "submissionDefId": r.submission_def_id,
                 "queue": None, "attempts": r.attempts, "error": r.last_error,
                 "endedAt": None} for r in outbox.failed_rows(inline_max_attempts())]
    out = []
    for queue in pipeline_queues():
        registry = queue.failed_job_registry
        for job in queue.job_class.fetch_many(registry.get_job_ids(), connection=queue.connection):
            if job is None:
                continue
            outbox_id = jobs.outbox_id_of(job.id)
            row = db.session.get(PipelineOutbox, outbox_id) if outbox_id else None
            out.append({
                "id": job.id, "kind": quarantine.PIPELINE, "ref": outbox_id,
                "outboxId": outbox_id,
                "submissionDefId": row.submission_def_id if row else None,
                "queue": queue.name, "attempts": row.attempts if row else None,
                "error": _error(job) or (row.last_error if row else None),
                "endedAt": job.ended_at.isoformat() if job.ended_at else None})
    others = [k for k in quarantine.KINDS if k != quarantine.PIPELINE]
    out += [{"id": f"{e['kind']}-{e['ref']}", **e, "outboxId": None, "submissionDefId": None,
             "queue": None, "attempts": None} for e in quarantine.entries(others)]
    return out


def retry_failed(only: set[int] | None = None) -> int:
    """Send every failed job (or those of the outbox rows in `only`: one project's) round
    again with a fresh set of retries, and (unless `only`) every quarantined SMS send, webhook
    delivery and export job; -> how many."""
    if queues.redis_url() is None:
        ids = [r.id for r in outbox.failed_rows(inline_max_attempts())
               if only is None or r.id in only]
        if ids:
            outbox.reset_attempts(ids)
            db.session.commit()
            dispatch.run_inline(ids)
        return len(ids)
    count = 0
    for queue in pipeline_queues():
        registry = queue.failed_job_registry
        for job_id in registry.get_job_ids():
            job = queue.fetch_job(job_id)
            if job is None:
                registry.remove(job_id)
                continue
            outbox_id = jobs.outbox_id_of(job.id)
            if only is not None and outbox_id not in only:
                continue
            job.retries_left = int(setting("PIPELINE_MAX_RETRIES"))
            if outbox_id is not None:
                poison.forget([outbox_id])  # a quarantined row gets its chances again
            registry.requeue(job)
            count += 1
    return count + (retry_quarantined() if only is None else 0)


def retry_quarantined() -> int:
    """Run every quarantined SMS send, webhook delivery and export job once more, each by
    its kind's own retry, with its count forgotten; -> how many."""
    from app.exports import jobs as export_jobs
    from app.messaging import jobs as sms_jobs
    from app.webhooks import delivery

    retriers = {quarantine.SMS: sms_jobs.retry_quarantined,
                quarantine.WEBHOOK: delivery.retry_quarantined,
                quarantine.EXPORT: export_jobs.retry_quarantined}
    count = 0
    for kind, retrier in retriers.items():
        ids = quarantine.listed_ids(kind)
        if ids:
            quarantine.forget(kind, ids)
            count += retrier(ids)
    return count


def _error(job) -> str | None:
    """The last line of the job's latest traceback ("RuntimeError: ...")."""
    result = job.latest_result()
    exc_string = getattr(result, "exc_string", None) if result is not None else None
    lines = [line for line in (exc_string or "").strip().splitlines() if line.strip()]
    return lines[-1][:500] if lines else None

"""The outbox relay: committed outbox rows go to RQ (or run inline when there is no Redis).

`after_commit` is called by `sync.ingest` once the submission's transaction has committed;
`sweep` re-sends rows left behind (Redis down, Redis restarted empty) and runs from
`flask pipeline drain` and from every worker's maintenance tick.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from redis.exceptions import RedisError
from rq.job import Job, JobStatus
from sqlalchemy import or_, select, update

from app.extensions import db
from app.models import PipelineOutbox
from app.models.base import utcnow
from app.pipeline import jobs, queues

log = logging.getLogger(__name__)
# A job in one of these states will run without our help (failed ones wait for retry-failed).
# A finished job whose row is still pending is sent again: the job is a no-op if it is done.
_IN_FLIGHT = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED,
              JobStatus.FAILED, JobStatus.CREATED}
_BATCH = 1000


def after_commit(outbox_ids: list[int]) -> None:
    """Hand committed outbox rows to the pipeline; never raises (the outbox keeps the work)."""
    if not outbox_ids:
        return
    if queues.redis_url() is None:
        jobs.run_inline(outbox_ids)
        return
    try:
        enqueue(outbox_ids)
    except RedisError as error:
        log.warning("pipeline enqueue failed (%s); outbox rows %s wait for the sweep",
                    error.__class__.__name__, outbox_ids)


def enqueue(outbox_ids: Iterable[int]) -> int:
    """Put rows on their RQ queue unless their job is already there; -> how many were sent."""
    rows = db.session.execute(select(PipelineOutbox.id, PipelineOutbox.event).where(
        PipelineOutbox.id.in_(list(outbox_ids)), PipelineOutbox.processed_at.is_(None))).all()
    if not rows:
        return 0
    conn = queues.connection()
    existing = Job.fetch_many([queues.outbox_job_id(r.id) for r in rows], connection=conn)
    todo = [row for row, job in zip(rows, existing, strict=True)
            if job is None or job.get_status(refresh=False) not in _IN_FLIGHT]
    by_kind: dict[str, list] = {}
    for row in todo:
        by_kind.setdefault(queues.kind_for(row.event), []).append(row)
    for kind, batch in by_kind.items():
        queue = queues.queue(kind)
        with conn.pipeline() as pipe:
            queue.enqueue_many([queue.prepare_data(
                jobs.process_outbox, args=(row.id,), job_id=queues.outbox_job_id(row.id),
                timeout=queues.JOB_TIMEOUT, result_ttl=queues.RESULT_TTL,
                retry=queues.retry_policy(), description=f"outbox {row.id} {row.event}")
                for row in batch], pipeline=pipe)
            pipe.execute()
    if todo:
        # Its own short transaction: the caller's session may hold unrelated state.
        with db.engine.begin() as conn_db:
            conn_db.execute(update(PipelineOutbox).where(
                PipelineOutbox.id.in_([r.id for r in todo])).values(enqueued_at=utcnow()))
    return len(todo)


def pending_ids(after: int = 0, limit: int = _BATCH,
                sent_before: datetime | None = None) -> list[int]:
    """Outbox rows not yet processed, oldest first, from id `after` on; with `sent_before`,
    only those never sent or sent before then."""
    query = select(PipelineOutbox.id).where(
        PipelineOutbox.processed_at.is_(None), PipelineOutbox.id > after)
    if sent_before is not None:
        query = query.where(or_(PipelineOutbox.enqueued_at.is_(None),
                                PipelineOutbox.enqueued_at < sent_before))
    return list(db.session.scalars(query.order_by(PipelineOutbox.id).limit(limit)))


def sweep(recheck_after: float | None = None) -> int:
    """Send every pending row whose job Redis does not hold; -> how many were (re)sent.

    With `recheck_after` (seconds), rows sent more recently than that are trusted to be in
    Redis and not looked up: the workers' periodic sweep stays cheap under a large backlog,
    and still finds jobs a Redis restart lost, a little later.
    """
    cutoff = None
    if recheck_after is not None:
        cutoff = utcnow() - timedelta(seconds=recheck_after)
    sent, after = 0, 0
    while ids := pending_ids(after, sent_before=cutoff):
        sent += enqueue(ids)
        after = ids[-1]
    return sent


def drain_inline(max_attempts: int | None = None, progress=None) -> tuple[int, int]:
    """Process every pending row here and now; rows that failed `max_attempts` times are left
    to `retry-failed`. -> (processed, failed)."""
    done = failed = after = 0
    while ids := _inline_candidates(after, max_attempts):
        ok = jobs.run_inline(ids)
        done, failed, after = done + ok, failed + len(ids) - ok, ids[-1]
        if progress is not None:
            progress(len(ids))
    return done, failed


def _inline_candidates(after: int, max_attempts: int | None) -> list[int]:
    query = select(PipelineOutbox.id).where(
        PipelineOutbox.processed_at.is_(None), PipelineOutbox.id > after)
    if max_attempts is not None:
        query = query.where(PipelineOutbox.attempts < max_attempts)
    return list(db.session.scalars(query.order_by(PipelineOutbox.id).limit(200)))

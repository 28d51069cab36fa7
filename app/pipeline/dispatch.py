"""The outbox relay: committed outbox rows go to RQ (or run inline when there is no Redis).

The outbox table is the real queue; RQ carries *drain* jobs that each take the next batch of
pending rows (see `jobs.drain`). At most one drain job per queue waits in Redis at a time (a
flag key names it): a commit while one waits adds nothing, so a burst of commits coalesces
into batches, while at low rates each commit still gets its job at once. A row that failed in
a batch gets a job of its own (`process_outbox`, job id = outbox id) with RQ's retries.

`after_commit` is called by `sync.ingest` once the submission's transaction has committed;
`sweep` re-sends what Redis lost or never got (Redis down, Redis restarted empty) and runs from
`flask pipeline drain` and from every worker's maintenance tick.
"""
from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from redis.exceptions import RedisError
from rq.job import Job, JobStatus
from sqlalchemy import func, or_, select, update

from app.extensions import db
from app.models import PipelineOutbox
from app.models.base import utcnow
from app.pipeline import jobs, queues

log = logging.getLogger(__name__)
# A job in one of these states will run without our help (failed ones wait for retry-failed).
# A finished job whose row is still pending is sent again: the job is a no-op if it is done.
_IN_FLIGHT = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED,
              JobStatus.FAILED, JobStatus.CREATED}
_WAITING = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED, JobStatus.CREATED}
_BATCH = 1000
# A flag outliving its job (the enqueue failed half-way) only delays the next drain this long.
FLAG_SECONDS = 60


def after_commit(outbox_ids: list[int], events: Mapping[int, str] | None = None) -> None:
    """Hand committed outbox rows to the pipeline; never raises (the outbox keeps the work).

    `events` (outbox id -> event), from a caller that has just written these rows itself
    (never-failed, pending): the rows are then not read back, and with Redis only the drain
    flag is touched unless a drain job must be queued. Without it the rows are re-read."""
    if not outbox_ids:
        return
    if queues.redis_url() is None:
        jobs.run_inline(outbox_ids)
        return
    try:
        if events is None:
            enqueue(outbox_ids)
        else:
            enqueue_fresh({events[i] for i in outbox_ids})
    except RedisError as error:
        log.warning("pipeline enqueue failed (%s); outbox rows %s wait for the sweep",
                    error.__class__.__name__, outbox_ids)


def enqueue(outbox_ids: Iterable[int]) -> int:
    """Make sure RQ will process these rows: a drain job for never-failed rows, their own job
    for rows that failed before. -> how many rows a newly queued job covers."""
    rows = db.session.execute(select(
        PipelineOutbox.id, PipelineOutbox.event, PipelineOutbox.attempts).where(
        PipelineOutbox.id.in_(list(outbox_ids)), PipelineOutbox.processed_at.is_(None))).all()
    by_kind: dict[str, int] = {}
    retried = []
    for row in rows:
        if row.attempts:
            retried.append(row.id)
        else:
            kind = queues.kind_for(row.event)
            by_kind[kind] = by_kind.get(kind, 0) + 1
    sent = sum(count for kind, count in by_kind.items() if ensure_drain(kind))
    return sent + enqueue_single(retried)


def enqueue_fresh(events: Iterable[str]) -> int:
    """Rows just committed by the caller (never failed): a drain job waiting on each of their
    queues is all they need, no database read. -> how many drain jobs were queued."""
    return sum(1 for kind in {queues.kind_for(event) for event in events} if ensure_drain(kind))


def ensure_drain(kind: str, check: bool = False, after: int = 0) -> bool:
    """Queue a drain job for `kind` unless one is already waiting; -> whether one was queued.
    With `check`, a flag whose job Redis no longer holds (or that already started) is
    replaced. `after`: the outbox id the new job's claim starts from."""
    conn = queues.connection()
    flag = queues.drain_flag(kind)
    job_id = queues.drain_job_id(kind, uuid.uuid4().hex[:12])
    if not conn.set(flag, job_id, nx=True, ex=FLAG_SECONDS):
        if not check:
            return False
        waiting = conn.get(flag)
        job = Job.fetch_many([waiting.decode()], connection=conn)[0] if waiting else None
        if job is not None and job.get_status(refresh=False) in _WAITING:
            return False
        conn.set(flag, job_id, ex=FLAG_SECONDS)
    queue = queues.queue(kind)
    try:
        queue.enqueue_call(jobs.drain, args=(kind, after), job_id=job_id,
                           timeout=queues.JOB_TIMEOUT, result_ttl=queues.DRAIN_RESULT_TTL,
                           retry=queues.retry_policy(), description=f"drain {kind}")
    except Exception:
        conn.delete(flag)
        raise
    return True


def drain_started(kind: str) -> None:
    """A drain job has started: the next commit must queue another (it may come after our
    claim). Losing a race here only ever queues one drain job too many, never one too few."""
    try:
        queues.connection().delete(queues.drain_flag(kind))
    except RedisError:
        log.warning("pipeline could not clear the %s drain flag; it expires by itself", kind)


def enqueue_single(outbox_ids: Iterable[int], first_attempt_done: bool = False,
                   delay: bool = True) -> int:
    """Give rows their own job (job id = outbox id) unless Redis holds it already; -> sent.
    `first_attempt_done`: one attempt is spent (and, with `delay`, the first backoff waited)."""
    ids = list(outbox_ids)
    if not ids:
        return 0
    conn = queues.connection()
    existing = Job.fetch_many([queues.outbox_job_id(i) for i in ids], connection=conn)
    todo = [i for i, job in zip(ids, existing, strict=True)
            if job is None or job.get_status(refresh=False) not in _IN_FLIGHT]
    if not todo:
        return 0
    events = dict(db.session.execute(select(PipelineOutbox.id, PipelineOutbox.event).where(
        PipelineOutbox.id.in_(todo))).all())
    done = 1 if first_attempt_done else 0
    delay = queues.retry_intervals()[0] if first_attempt_done and delay else 0
    for outbox_id in todo:
        queue = queues.queue(queues.kind_for(events.get(outbox_id, "")))
        options = {"job_id": queues.outbox_job_id(outbox_id), "job_timeout": queues.JOB_TIMEOUT,
                   "result_ttl": queues.RESULT_TTL, "retry": queues.retry_policy(done),
                   "description": f"outbox {outbox_id} {events.get(outbox_id)}"}
        if delay > 0:
            queue.enqueue_in(timedelta(seconds=delay), jobs.process_outbox, outbox_id, **options)
        else:
            queue.enqueue(jobs.process_outbox, outbox_id, **options)
    # Its own short transaction: the caller's session may hold unrelated state.
    with db.engine.begin() as conn_db:
        conn_db.execute(update(PipelineOutbox).where(PipelineOutbox.id.in_(todo))
                        .values(enqueued_at=utcnow()))
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
    """Make sure every pending row will be processed; -> how many rows newly queued jobs cover.

    Never-failed rows need only a drain job waiting on their queue (one per queue, checked in
    Redis); rows that failed before need their own job. With `recheck_after` (seconds), those
    sent more recently than that are trusted to be in Redis and not looked up.
    """
    sent = 0
    bulk = list(queues.BULK_EVENTS)
    for kind in (queues.FRESH, queues.BULK):
        count = db.session.scalar(select(func.count()).select_from(PipelineOutbox).where(
            PipelineOutbox.processed_at.is_(None), PipelineOutbox.attempts == 0,
            PipelineOutbox.event.in_(bulk) if kind == queues.BULK
            else PipelineOutbox.event.not_in(bulk))) or 0
        if count and ensure_drain(kind, check=True):
            sent += count
    cutoff = None
    if recheck_after is not None:
        cutoff = utcnow() - timedelta(seconds=recheck_after)
    after = 0
    while ids := _retried_ids(after, cutoff):
        sent += enqueue_single(ids)
        after = ids[-1]
    return sent


def _retried_ids(after: int, sent_before: datetime | None) -> list[int]:
    query = select(PipelineOutbox.id).where(
        PipelineOutbox.processed_at.is_(None), PipelineOutbox.attempts > 0,
        PipelineOutbox.id > after)
    if sent_before is not None:
        query = query.where(or_(PipelineOutbox.enqueued_at.is_(None),
                                PipelineOutbox.enqueued_at < sent_before))
    return list(db.session.scalars(query.order_by(PipelineOutbox.id).limit(_BATCH)))


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
    return list(db.session.scalars(query.order_by(PipelineOutbox.id).limit(
        max(200, queues.batch_size()))))

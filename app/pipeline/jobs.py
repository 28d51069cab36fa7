"""The pipeline's RQ jobs and how they are queued: module-level, take ids, reload state,
harmless to run twice. Both end in `batch.process_rows`.

- `drain(kind)`: claims up to PIPELINE_BATCH pending rows of its queue (`FOR UPDATE SKIP
  LOCKED` on PostgreSQL, so workers share a backlog without overlap) and processes them in one
  transaction; RQ's per-job bookkeeping is paid once per batch. When the batch was full it
  queues its successor first, so every idle worker finds work. At most one drain job per queue
  waits in Redis (a flag key names it): a burst of commits coalesces into batches, while at
  low rates each commit still gets its job at once.
- `process_outbox(outbox_id)`: one row alone, with RQ's retries, for a row that failed in a
  batch (and for `retry-failed`); after its last retry it sits in RQ's failed registry.
"""
from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from datetime import timedelta

from redis.exceptions import RedisError
from rq import get_current_job
from rq.job import Job, JobStatus

from app import quarantine, queues
from app.config import setting
from app.extensions import db
from app.pipeline import poison
from app.pipeline.batch import PipelineError, process_rows
from app.queries import outbox
from app.queries.outbox import OutboxRow

log = logging.getLogger(__name__)
# A job in one of these states will run without our help (failed ones wait for retry-failed).
# A finished job whose row is still pending is sent again: the job is a no-op if it is done.
IN_FLIGHT = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED,
             JobStatus.FAILED, JobStatus.CREATED}
_WAITING = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED, JobStatus.CREATED}
# A flag outliving its job (the enqueue failed half-way) only delays the next drain this long.
FLAG_SECONDS = 60
INTERRUPTED = "interrupted: the worker processing its batch stopped; it runs alone now"


class Quarantined(PipelineError):
    """A version that killed its worker too often: recorded as failed, not run again."""


def batch_size() -> int:
    """Rows a drain job takes at once (one transaction, one RQ job's bookkeeping)."""
    return max(1, int(setting("PIPELINE_BATCH")))


def retry_policy(done: int = 0):
    """Backoff between attempts; the last failure lands in RQ's failed registry. `done`:
    attempts already made elsewhere (a row that failed in a batch has had its first)."""
    return queues.retry(setting("PIPELINE_RETRY_INTERVALS") or [0], done,
                        attempts=int(setting("PIPELINE_MAX_RETRIES")))


def outbox_job_id(outbox_id: int) -> str:
    """The RQ job of an outbox row's own run: queueing the same row twice names one job."""
    return queues.job_id("outbox", outbox_id)


def outbox_id_of(job_id: str) -> int | None:
    head, _, tail = job_id.rpartition("-outbox-")
    return int(tail) if head == queues.prefix() and tail.isdigit() else None


def drain_flag(kind: str) -> str:
    """Redis key naming the drain job of a queue that is queued and not yet started."""
    return f"{queues.queue_name(kind)}:drain-queued"


# --- the jobs --------------------------------------------------------------------------------

def drain(kind: str = queues.FRESH, after: int = 0) -> str:
    """RQ job: process the next batch of pending rows of one queue.

    `after` is where the previous batch ended: the claim starts there (an index range, not a
    walk over every row done before), and looks below it only when the range above runs
    short (rows someone else held, or that arrived late)."""
    with queues.job_context():
        _drain_started(kind)
        size = batch_size()
        rows = outbox.claim(kind, size, after=after)
        if len(rows) < size and after:
            rows += outbox.claim(kind, size - len(rows), upto=after)
        if len(rows) == size:
            # More may wait: a successor on the queue keeps every idle worker busy.
            try:
                ensure_drain(kind, after=max(r.outbox_id or 0 for r in rows))
            except Exception:
                log.exception("pipeline could not queue the next %s drain; the sweep will", kind)
        if not rows:
            db.session.commit()
            return "nothing pending"
        # Rows whose last batch died with its worker run alone, each in a job of its own, so
        # a poison among them cannot take this batch down too (app/pipeline/poison.py).
        survivors = poison.interrupted([r.outbox_id for r in rows if r.outbox_id is not None])
        if survivors:
            rows = [r for r in rows if r.outbox_id not in survivors]
            outbox.record_failure(sorted(survivors), INTERRUPTED, handed_off=True)
        ids = [r.outbox_id for r in rows if r.outbox_id is not None]
        poison.started(ids)
        outcome = process_rows(rows, handoff=True)
        poison.finished(ids)
        _handoff([r.outbox_id for r in outcome.failed if r.outbox_id is not None])
        if survivors:
            _handoff(sorted(survivors), delay=False)
        return (f"processed {len(outcome.processed)}, handed off "
                f"{len(outcome.failed) + len(survivors)}")


def process_outbox(outbox_id: int) -> str:
    """RQ job for one outbox row; raises on failure so RQ retries it (a quarantined row goes
    straight to the failed registry: retrying it would only kill another worker)."""
    with queues.job_context():
        try:
            return run_outbox(outbox_id)
        except Quarantined:
            job = get_current_job()
            if job is not None:
                job.retries_left = 0
            raise


def run_outbox(outbox_id: int) -> str:
    """Process an outbox row unless done already; record the error and re-raise on failure."""
    row = outbox.lock(outbox_id)
    if row is None:
        db.session.rollback()
        return "missing"
    if row.processed_at is not None:
        db.session.rollback()
        return "already processed"
    counted = queues.redis_url() is not None
    if counted:
        reason = poison.quarantine_reason(row.id, poison.started([row.id])[row.id])
        if reason is not None:
            outbox.record_failure([row.id], reason, handed_off=False)
            db.session.commit()
            log.error("pipeline outbox_id=%s def_id=%s %s", row.id, row.submission_def_id,
                      reason)
            quarantine.put(quarantine.PIPELINE, row.id, reason)
            raise Quarantined(reason)
    outcome = process_rows([OutboxRow(row.id, row.submission_def_id, row.event)],
                           isolate=False)
    if counted:
        poison.finished([row.id])
    if outcome.failed:
        raise PipelineError(next(iter(outcome.failed.values())))
    return "processed"


# --- queueing them ---------------------------------------------------------------------------

def ensure_drain(kind: str, check: bool = False, after: int = 0) -> bool:
    """Queue a drain job for `kind` unless one is already waiting; -> whether one was queued.
    With `check`, a flag whose job Redis no longer holds (or that already started) is
    replaced. `after`: the outbox id the new job's claim starts from."""
    conn = queues.connection()
    flag = drain_flag(kind)
    job_id = queues.job_id("drain", f"{kind}-{uuid.uuid4().hex[:12]}")
    if not conn.set(flag, job_id, nx=True, ex=FLAG_SECONDS):
        if not check:
            return False
        waiting = conn.get(flag)
        job = Job.fetch_many([waiting.decode()], connection=conn)[0] if waiting else None
        if job is not None and job.get_status(refresh=False) in _WAITING:
            return False
        conn.set(flag, job_id, ex=FLAG_SECONDS)
    try:
        queues.queue(kind).enqueue_call(
            drain, args=(kind, after), job_id=job_id, timeout=queues.PIPELINE_TIMEOUT,
            result_ttl=queues.DRAIN_RESULT_TTL, retry=retry_policy(),
            description=f"drain {kind}")
    except Exception:
        conn.delete(flag)
        raise
    return True


def _drain_started(kind: str) -> None:
    """A drain job has started: the next commit must queue another (it may come after our
    claim). Losing a race here only ever queues one drain job too many, never one too few."""
    try:
        queues.connection().delete(drain_flag(kind))
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
    existing = Job.fetch_many([outbox_job_id(i) for i in ids], connection=conn)
    todo = [i for i, job in zip(ids, existing, strict=True)
            if job is None or job.get_status(refresh=False) not in IN_FLIGHT]
    if not todo:
        return 0
    events = outbox.events_of(todo)
    done = 1 if first_attempt_done else 0
    wait = (setting("PIPELINE_RETRY_INTERVALS") or [0])[0] if first_attempt_done and delay else 0
    for outbox_id in todo:
        queue = queues.queue(outbox.kind_for(events.get(outbox_id, "")))
        options = {"job_id": outbox_job_id(outbox_id), "job_timeout": queues.PIPELINE_TIMEOUT,
                   "result_ttl": queues.RESULT_TTL, "retry": retry_policy(done),
                   "description": f"outbox {outbox_id} {events.get(outbox_id)}"}
        if wait > 0:
            queue.enqueue_in(timedelta(seconds=wait), process_outbox, outbox_id, **options)
        else:
            queue.enqueue(process_outbox, outbox_id, **options)
    outbox.mark_sent(todo)
    return len(todo)


def _handoff(outbox_ids: list[int], delay: bool = True) -> None:
    """Failed in a batch: each row now gets its own job (its retries, then the failed
    registry; `delay`: after the first retry interval). If Redis is gone the sweep finds them
    (attempts > 0, no job)."""
    try:
        enqueue_single(outbox_ids, first_attempt_done=True, delay=delay)
    except Exception:
        log.exception("pipeline could not hand off failed rows %s; the sweep will", outbox_ids)

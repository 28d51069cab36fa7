"""Handing committed outbox rows to the pipeline: RQ drain jobs when REDIS_URL is set, else
the same batches inline, now; and the sweep that re-sends what Redis lost or never got.

`after_commit` is called once a submission's transaction has committed (sync.ingest's
listener, registered in app.pipeline); `sweep` runs from `flask pipeline drain` and from
every worker's maintenance tick.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import timedelta

from redis.exceptions import RedisError

from app import queues
from app.models.base import utcnow
from app.pipeline import jobs
from app.pipeline.batch import BatchOutcome, process_rows
from app.queries import outbox
from app.queries.outbox import OutboxRow

log = logging.getLogger(__name__)


def after_commit(outbox_ids: Sequence[int], events: Mapping[int, str] | None = None) -> None:
    """Hand committed outbox rows to the pipeline; never raises (the outbox keeps the work).

    `events` (outbox id -> event), from a caller that has just written these rows itself
    (never-failed, pending): the rows are then not read back, and with Redis only the drain
    flag is touched unless a drain job must be queued. Without it the rows are re-read."""
    if not outbox_ids:
        return
    if queues.redis_url() is None:
        run_inline(list(outbox_ids))
        return
    try:
        if events is None:
            enqueue(outbox_ids)
        else:
            enqueue_fresh({events[i] for i in outbox_ids})
    except RedisError as error:
        log.warning("pipeline enqueue failed (%s); outbox rows %s wait for the sweep",
                    error.__class__.__name__, list(outbox_ids))


def enqueue(outbox_ids: Iterable[int]) -> int:
    """Make sure RQ will process these rows: a drain job for never-failed rows, their own job
    for rows that failed before. -> how many rows a newly queued job covers."""
    by_kind: dict[str, int] = {}
    retried = []
    for row in outbox.pending(outbox_ids):
        if row.attempts:
            retried.append(row.id)
        else:
            kind = outbox.kind_for(row.event)
            by_kind[kind] = by_kind.get(kind, 0) + 1
    sent = sum(count for kind, count in by_kind.items() if jobs.ensure_drain(kind))
    return sent + jobs.enqueue_single(retried)


def enqueue_fresh(events: Iterable[str]) -> int:
    """Rows just committed by the caller (never failed): a drain job waiting on each of their
    queues is all they need, no database read. -> how many drain jobs were queued."""
    return sum(1 for kind in {outbox.kind_for(event) for event in events}
               if jobs.ensure_drain(kind))


def sweep(recheck_after: float | None = None) -> int:
    """Make sure every pending row will be processed; -> how many rows newly queued jobs cover.

    Never-failed rows need only a drain job waiting on their queue (one per queue, checked in
    Redis); rows that failed before need their own job. With `recheck_after` (seconds), those
    sent more recently than that are trusted to be in Redis and not looked up.
    """
    sent = 0
    for kind in (queues.FRESH, queues.BULK):
        count = outbox.count_pending(kind, fresh_only=True)
        if count and jobs.ensure_drain(kind, check=True):
            sent += count
    cutoff = None
    if recheck_after is not None:
        cutoff = utcnow() - timedelta(seconds=recheck_after)
    after = 0
    while ids := outbox.pending_ids(after, failed=True, sent_before=cutoff):
        sent += jobs.enqueue_single(ids)
        after = ids[-1]
    return sent


def run_inline(outbox_ids: list[int]) -> int:
    """The embedded mode: process rows now, in this process; failures stay pending (their
    error and attempt recorded). -> rows done (processed now or before)."""
    done, size = 0, jobs.batch_size()
    for lo in range(0, len(outbox_ids), size):
        chunk = outbox_ids[lo:lo + size]
        with queues.job_context():
            rows = outbox.lock_pending(chunk)
            outcome = process_rows(rows) if rows else BatchOutcome([], {})
            for row, error in outcome.failed.items():
                log.error("pipeline outbox_id=%s failed inline (%s); it stays pending",
                          row.outbox_id, error)
            done += len(chunk) - len(outcome.failed)
    return done


def drain_inline(max_attempts: int | None = None,
                 progress: Callable[[int], None] | None = None) -> tuple[int, int]:
    """Process every pending row here and now; rows that failed `max_attempts` times are left
    to `retry-failed`. -> (processed, failed)."""
    done = failed = after = 0
    while ids := outbox.pending_ids(after, max(200, jobs.batch_size()),
                                    max_attempts=max_attempts):
        ok = run_inline(ids)
        done, failed, after = done + ok, failed + len(ids) - ok, ids[-1]
        if progress is not None:
            progress(len(ids))
    return done, failed


def process_defs(def_ids: Sequence[int]) -> dict[int, str]:
    """Re-run versions (no outbox rows) in batches; -> {def_id: error} for those that failed."""
    failed: dict[int, str] = {}
    size = jobs.batch_size()
    for lo in range(0, len(def_ids), size):
        with queues.job_context():
            outcome = process_rows([OutboxRow(None, d) for d in def_ids[lo:lo + size]])
        failed.update({row.def_id: error for row, error in outcome.failed.items()})
    return failed

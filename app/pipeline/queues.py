"""Queue names, the Redis connection and job settings, listed once for the whole pipeline."""
from __future__ import annotations

import os
from functools import cache
from typing import Any

from flask import current_app
from redis import Redis
from rq import Queue, Retry

# Bumped when cleaning or tagging changes meaning; stored on every cleaned record.
PIPELINE_VERSION = "clean-1"
DEFAULT_PREFIX = "datashift"
DEFAULT_RETRY_INTERVALS = (10, 60, 300)
DEFAULT_BATCH = 100
# Fresh submissions before bulk re-processing: workers listen in this order.
FRESH, BULK = "pipeline", "bulk"
BULK_EVENTS = frozenset({"submission.reprocess", "submission.retag"})


def setting(name: str, default: Any) -> Any:
    """A PIPELINE_* setting: app config first (tests), then the environment, then default."""
    value = current_app.config.get(name)
    if value is None:
        value = os.environ.get(name)
    return default if value in (None, "") else value


def redis_url() -> str | None:
    """The configured Redis, or None: the pipeline then runs inline after commit."""
    return current_app.config.get("REDIS_URL") or None


@cache
def _connect(url: str) -> Redis:
    # Fail fast when Redis is down: ingest must not hang on it (the outbox keeps the work).
    return Redis.from_url(url, socket_connect_timeout=2, socket_timeout=10)


def connection() -> Redis:
    """One Redis client per URL per process (redis-py re-creates sockets after fork)."""
    url = redis_url()
    if url is None:
        raise RuntimeError("REDIS_URL is not set: the pipeline runs inline")
    return _connect(url)


def prefix() -> str:
    """Namespace for queue names and job ids, so several installs (or tests) share a Redis."""
    return str(setting("PIPELINE_PREFIX", DEFAULT_PREFIX))


def queue_name(kind: str) -> str:
    return f"{prefix()}-{kind}"


def queue(kind: str = FRESH) -> Queue:
    return Queue(queue_name(kind), connection=connection())


def all_queues() -> list[Queue]:
    """Every pipeline queue, in the order workers should take from them."""
    return [queue(FRESH), queue(BULK)]


def kind_for(event: str) -> str:
    return BULK if event in BULK_EVENTS else FRESH


def outbox_job_id(outbox_id: int) -> str:
    """The RQ job id of an outbox row: enqueueing the same row twice names the same job."""
    return f"{prefix()}-outbox-{outbox_id}"


def outbox_id_of(job_id: str) -> int | None:
    head, _, tail = job_id.rpartition("-outbox-")
    return int(tail) if head == prefix() and tail.isdigit() else None


def drain_flag(kind: str) -> str:
    """Redis key naming the drain job of a queue that is queued and not yet started."""
    return f"{queue_name(kind)}:drain-queued"


def drain_job_id(kind: str, token: str) -> str:
    return f"{prefix()}-drain-{kind}-{token}"


def batch_size() -> int:
    """Rows a drain job takes at once (one transaction, one RQ job's bookkeeping)."""
    return max(1, int(setting("PIPELINE_BATCH", DEFAULT_BATCH)))


def max_retries() -> int:
    return int(setting("PIPELINE_MAX_RETRIES", 3))


def retry_intervals() -> list[int]:
    intervals = setting("PIPELINE_RETRY_INTERVALS", DEFAULT_RETRY_INTERVALS)
    if isinstance(intervals, str):
        intervals = [int(i) for i in intervals.split(",") if i.strip()]
    return [int(i) for i in intervals] or [0]


def retry_policy(done: int = 0) -> Retry | None:
    """Backoff between attempts; the last failure lands in RQ's failed registry. `done`:
    attempts already made elsewhere (a row that failed in a batch has had its first)."""
    left = max_retries() - done
    if left < 1:
        return None
    intervals = retry_intervals()
    return Retry(max=left, interval=intervals[done:] or intervals[-1:])


JOB_TIMEOUT = 600
RESULT_TTL = 600
# Drain jobs are many and interchangeable: keep their results briefly.
DRAIN_RESULT_TTL = 60

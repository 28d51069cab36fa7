"""RQ, listed once: one Redis connection pool per process, every queue's name, job settings.

Queues are named `{QUEUE_PREFIX}-{kind}`; `flask worker` serves them in `WORKER_ORDER`: SMS
replies first (a person is waiting, each is one small job), then fresh submissions (and
webhook deliveries), then bulk re-processing, then large exports and field-office sync runs
(long jobs nobody watches second by second). Without REDIS_URL nothing is queued: each
subsystem runs its work inline after the commit.
"""
from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache

from flask import current_app, has_app_context
from redis import Redis
from rq import Queue, Retry

from app.config import setting
from app.extensions import db

SMS, FRESH, BULK, EXPORTS, SYNC = "sms", "pipeline", "bulk", "exports", "sync"
WORKER_ORDER = (SMS, FRESH, BULK, EXPORTS, SYNC)

# Job settings (seconds). A job running past its timeout is killed and counted as failed.
PIPELINE_TIMEOUT = 600
SMS_TIMEOUT = 60
WEBHOOK_TIMEOUT = 120
RESULT_TTL = 600
DRAIN_RESULT_TTL = 60  # drain jobs are many and interchangeable: keep their results briefly
WEBHOOK_FAILURE_TTL = 86_400


def redis_url() -> str | None:
    """The configured Redis, or None: work then runs inline after its commit."""
    return setting("REDIS_URL") or None


@cache
def _connect(url: str) -> Redis:
    # Fail fast when Redis is down: a webhook or an ingest must not hang on it (the database
    # keeps the work). redis-py keeps a pool per client and re-creates sockets after fork.
    return Redis.from_url(url, socket_connect_timeout=2, socket_timeout=10)


def connection() -> Redis:
    """The process's one Redis client (one connection pool) for the configured URL."""
    url = redis_url()
    if url is None:
        raise RuntimeError("REDIS_URL is not set: work runs inline")
    return _connect(url)


def prefix() -> str:
    """Namespace of queue names and job ids, so several installs (or tests) share a Redis."""
    return str(setting("QUEUE_PREFIX"))


def queue_name(kind: str) -> str:
    return f"{prefix()}-{kind}"


def queue(kind: str) -> Queue:
    return Queue(queue_name(kind), connection=connection())


def worker_queues(kinds: Sequence[str] = WORKER_ORDER) -> list[Queue]:
    """The queues a worker serves, in the order it takes from them."""
    return [queue(kind) for kind in WORKER_ORDER if kind in kinds]


def job_id(kind: str, token: object) -> str:
    """A job id under the prefix: queueing the same work twice names the same job."""
    return f"{prefix()}-{kind}-{token}"


def retry(intervals: Sequence[int], done: int = 0, attempts: int | None = None) -> Retry | None:
    """RQ's backoff: `attempts` retries (default: one per interval) minus the `done` ones
    already made elsewhere, waiting `intervals[i]` before the i-th; None when none are left."""
    left = (len(intervals) if attempts is None else attempts) - done
    if left < 1 or not intervals:
        return None
    return Retry(max=left, interval=list(intervals[done:]) or list(intervals[-1:]))


@contextmanager
def job_context() -> Iterator[None]:
    """A fresh app context (so a fresh database session) around one job, inside the app that
    `flask worker` (or the request running work inline) already has."""
    global _engine_pid
    if not has_app_context():
        raise RuntimeError("jobs run inside the app: start workers with `flask worker`")
    with current_app._get_current_object().app_context():  # type: ignore[attr-defined]
        if _engine_pid != os.getpid():
            # First job in this process: if it is a forked work-horse, it must not use the
            # parent's pooled connections (close=False leaves them to the parent).
            db.engine.dispose(close=False)
            _engine_pid = os.getpid()
        yield


_engine_pid: int | None = None

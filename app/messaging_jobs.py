"""RQ jobs that send stored SMS replies (queue "datashift-sms"); inline when REDIS_URL is unset.

Jobs take a message id and reload everything; running one twice is harmless (the message is
claimed queued → sending first). A retry happens only for failures where the provider surely
did not take the message (outbound.send returns "retry"), with backoff; workers must run with
the RQ scheduler (`--with-scheduler`) for the delayed retries.
"""
from __future__ import annotations

import functools
import logging
import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from flask import current_app, has_app_context

QUEUE = "datashift-sms"
RETRY_INTERVALS = [10, 60, 300]  # seconds; len + 1 == outbound.MAX_ATTEMPTS
INLINE_RETRY_DELAYS = [0.5, 2.0, 5.0]

log = logging.getLogger(__name__)


class RetrySend(Exception):
    """Raised inside the RQ job so that RQ schedules the next attempt."""


def queue_name() -> str:
    """The send queue: SMS_QUEUE from the config or environment, else datashift-sms."""
    return current_app.config.get("SMS_QUEUE") or os.environ.get("SMS_QUEUE") or QUEUE


def enqueue_send(message_ids: Sequence[int]) -> None:
    """Hand committed outbound messages to the sender: RQ when configured, else now."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        for message_id in message_ids:
            send_inline(message_id)
        return
    from rq import Retry

    queue = _queue(url, queue_name())
    try:
        # One round trip for all of them: the jobs and the queue push in one pipeline.
        with queue.connection.pipeline(transaction=False) as pipe:
            queue.enqueue_many([queue.prepare_data(
                send_message_job, (message_id,), timeout=60,
                retry=Retry(max=len(RETRY_INTERVALS), interval=RETRY_INTERVALS))
                for message_id in message_ids], pipeline=pipe)
            pipe.execute()
    except Exception:
        # The messages stay queued in the database; `flask channels send-queued` or a
        # resend picks them up. Never fail the webhook that stored them.
        log.exception("sms.enqueue_failed messages=%s", list(message_ids))


@functools.cache
def _queue(url: str, name: str):
    from rq import Queue

    return Queue(name, connection=_redis(url))


@functools.cache
def _redis(url: str):
    """One connection pool per process; a webhook must not open a connection per reply."""
    from redis import Redis

    return Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)


def send_inline(message_id: int) -> str:
    """Send now in this process, retrying the retryable a few times with short pauses."""
    from app.services import outbound

    delays = current_app.config.get("SMS_INLINE_RETRY_DELAYS", INLINE_RETRY_DELAYS)
    outcome = outbound.send(message_id)
    for delay in delays:
        if outcome != "retry":
            break
        time.sleep(delay)
        outcome = outbound.send(message_id)
    return outcome


def send_message_job(message_id: int) -> str:
    """The RQ job: send one message; raise RetrySend to have RQ try again later."""
    with _app_context():
        from app.services import outbound

        outcome = outbound.send(message_id)
        if outcome == "retry":
            raise RetrySend(f"message {message_id}: provider did not take it; will retry")
        return outcome


@contextmanager
def _app_context() -> Iterator[None]:
    if has_app_context():
        yield
        return
    from app import create_app

    with create_app().app_context():
        yield

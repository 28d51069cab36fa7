"""RQ jobs that send stored SMS replies (queue "{QUEUE_PREFIX}-sms"); inline without REDIS_URL.

Jobs take a message id and reload everything; running one twice is harmless (the message is
claimed queued → sending first). A retry happens only for failures where the provider surely
did not take the message (outbound.send returns "retry"), with backoff; workers must run with
the RQ scheduler (`--with-scheduler`) for the delayed retries.

A send that crashes or kills its worker twice is quarantined (app/quarantine.py): the message
is marked failed with the reason and waits for `flask pipeline retry-failed` or a resend. A
send whose worker died while the provider had the message is never repeated by itself: it
may have gone, so it is marked unknown (resend to try again), as an ambiguous answer is.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from rq import Callback

from app import quarantine, queues
from app.config import setting
from app.extensions import db
from app.messaging import outbound

log = logging.getLogger(__name__)


class RetrySend(Exception):
    """Raised inside the RQ job so that RQ schedules the next attempt."""


def enqueue_send(message_ids: Sequence[int]) -> None:
    """Hand committed outbound messages to the sender: RQ when configured, else now."""
    if queues.redis_url() is None:
        for message_id in message_ids:
            send_inline(message_id)
        return
    try:
        queue = queues.queue(queues.SMS)
        retry = queues.retry(setting("SMS_RETRY_INTERVALS"))
        # One round trip for all of them: the jobs and the queue push in one pipeline.
        with queue.connection.pipeline(transaction=False) as pipe:
            queue.enqueue_many([queue.prepare_data(
                send_message_job, (message_id,), timeout=queues.SMS_TIMEOUT, retry=retry,
                on_failure=Callback(on_rq_failure)) for message_id in message_ids],
                pipeline=pipe)
            pipe.execute()
    except Exception:
        # The messages stay queued in the database; `flask channels send-queued` or a
        # resend picks them up. Never fail the webhook that stored them.
        log.exception("sms.enqueue_failed messages=%s", list(message_ids))


def send_inline(message_id: int) -> str:
    """Send now in this process, retrying the retryable a few times with short pauses."""
    delays = setting("SMS_INLINE_RETRY_DELAYS")
    outcome = outbound.send(message_id)
    for delay in delays:
        if outcome != "retry":
            break
        time.sleep(delay)
        outcome = outbound.send(message_id)
    return outcome


def send_message_job(message_id: int) -> str:
    """The RQ job: send one message; raise RetrySend to have RQ try again later."""
    with queues.job_context():
        outcome = quarantine.guard(quarantine.SMS, message_id, _send, set_aside)
        if outcome == "retry":
            raise RetrySend(f"message {message_id}: provider did not take it; will retry")
        return outcome


def _send(message_id: int, resumed: bool) -> str:
    if resumed:  # its last send never ended: its worker died (or a duplicate job runs it)
        outcome = outbound.recover(message_id)
        if outcome is not None:
            return outcome
    try:
        return outbound.send(message_id)
    except Exception:
        # Not sent by us, unless the provider had it: back to the queue for the retry (the
        # quarantine counts this run as a strike all the same).
        db.session.rollback()
        outbound.recover(message_id, crashed=True)
        raise


def set_aside(message_id: int, reason: str) -> str:
    """Quarantined: the message is failed, with the reason, until retried."""
    db.session.rollback()
    outbound.fail(message_id, reason)
    return "quarantined"


def on_rq_failure(rq_job, connection, exc_type, exc_value, traceback) -> None:
    """RQ's failure callback: a send killed with no retry left is set aside now."""
    with queues.job_context():
        quarantine.abandoned(quarantine.SMS, rq_job, exc_type, set_aside)


def retry_quarantined(message_ids: list[int]) -> int:
    """`retry-failed`: quarantined messages are queued and sent again; -> how many."""
    ids = outbound.requeue_quarantined(message_ids)
    db.session.commit()
    enqueue_send(ids)
    return len(ids)

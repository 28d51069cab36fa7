"""An SMS send that kills its worker fails alone: a real worker process on real Redis and
database, killed by it twice, quarantines it (failed with the reason, in /health and the failed
list) and sends the others; `retry-failed` or a resend sends it again. A worker killed while
the provider had the message never sends it again by itself (issue 12, item 1)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from app import quarantine, queues
from app.extensions import db
from app.messaging import contacts, jobs, outbound
from app.models import Channel, Message
from app.models.base import utcnow
from app.pipeline import retry
from tests.app.messaging.helpers import messages
from tests.app.quarantine_worker import assert_shown_to_the_admin, run_worker

PHONES = ["+254711000111", "+254711000222", "+254711000333", "+254711000444"]


@pytest.fixture
def queued(app, redis_url, queue_prefix):
    # Retries at once (the worker runs in burst mode: nothing waits for a scheduled one).
    app.config.update(REDIS_URL=redis_url, SMS_RETRY_INTERVALS=[0, 0, 0])
    return app


@pytest.fixture
def channel(make_channel, engine) -> Channel:
    return db.session.get(Channel, make_channel("africastalking", "sms")["id"])


def _queue_replies(channel: Channel, texts: list[str]) -> list[int]:
    """Replies stored and handed to RQ, as a conversation's turn does."""
    ids = []
    for phone, text in zip(PHONES, texts, strict=False):
        person = contacts.find_or_create(channel.project_id, phone)
        ids.append(outbound.queue(channel, person, text))
    db.session.commit()
    jobs.enqueue_send(ids)
    return ids


def _later(message_id: int) -> None:
    """Time passes as RQ's abandoned-job check needs it to: the claim of a message whose
    worker died is older than a send job may run (a live job's claim is younger)."""
    db.session.execute(update(Message).where(Message.id == message_id).values(
        status_at=utcnow() - timedelta(seconds=queues.SMS_TIMEOUT + 1)))
    db.session.commit()


def _status(message_id: int) -> tuple[str, str | None]:
    db.session.expire_all()
    message = db.session.get(Message, message_id)
    return message.status, message.error


def test_a_send_that_kills_its_worker_twice_is_quarantined_and_the_others_go(
        queued, channel, client, make_user, login, manager):
    first, bad, *rest = _queue_replies(channel, ["Q1", "KILL-THE-WORKER", "Q3", "Q4"])

    assert run_worker(queued, "sms", "KILL-THE-WORKER") == -9
    assert _status(first)[0] == "accepted"
    assert _status(bad)[0] == "sending"  # claimed when its worker died
    # Its job runs again (the dead worker's abandoned job, retried) and kills again; the rest
    # of the queue is sent meanwhile.
    _later(bad)
    assert run_worker(queued, "sms", "KILL-THE-WORKER", hours=1) == -9
    _later(bad)
    assert run_worker(queued, "sms", "KILL-THE-WORKER", hours=2) == 0
    assert [_status(i)[0] for i in rest] == ["accepted", "accepted"]
    status, error = _status(bad)
    assert status == "failed"
    assert error.startswith("quarantined: its worker was killed 2 times"), error

    # Shown: /health, the failed list (API, CLI), the messages a manager reads.
    health = client.get("/health").get_json()
    assert health["quarantined"] == {"pipeline": 0, "sms": 1, "webhook": 0, "export": 0}
    assert_shown_to_the_admin(queued, client, make_user, login, "sms", bad, error)
    page = client.get(f"/v1/projects/{channel.project_id}/messages", headers=manager).get_json()
    assert {m["id"]: m["status"] for m in page}[bad] == "failed"

    # `retry-failed` sends it again with its count forgotten (here the provider takes it).
    assert retry.retry_failed() == 1
    assert client.get("/health").get_json()["quarantined"]["sms"] == 0
    assert run_worker(queued, "sms", "NOT-POISON") == 0
    assert _status(bad) == ("accepted", None)
    assert len(messages("out")) == 4


def test_a_quarantined_send_is_also_resent_by_hand(queued, channel, client, manager):
    (bad,) = _queue_replies(channel, ["KILL-THE-WORKER"])
    for hours in (0, 1, 2):
        run_worker(queued, "sms", "KILL-THE-WORKER", hours=hours)
        _later(bad)
    assert _status(bad)[1].startswith("quarantined:")
    resent = client.post(f"/v1/projects/{channel.project_id}/messages/{bad}/resend",
                         headers=manager)
    assert resent.status_code == 200 and resent.get_json()["status"] == "queued"
    assert quarantine.entries() == []
    assert run_worker(queued, "sms", "NOT-POISON") == 0
    assert _status(bad) == ("accepted", None)


def test_a_worker_killed_while_the_provider_has_the_message_never_sends_it_again(
        queued, channel):
    first, bad, last = _queue_replies(channel, ["Q1", "KILL-AT-PROVIDER", "Q3"])
    assert run_worker(queued, "sms-at-provider", "KILL-AT-PROVIDER") == -9
    _later(bad)
    assert run_worker(queued, "sms-at-provider", "KILL-AT-PROVIDER", hours=1) == 0
    assert _status(first)[0] == _status(last)[0] == "accepted"
    # It may have gone: unknown (resendable by a person), not sent twice by itself.
    assert _status(bad) == ("unknown", outbound.MAYBE_SENT)
    assert quarantine.entries() == []


def test_a_duplicate_job_for_a_message_a_live_job_is_sending_leaves_it_alone(queued, channel):
    """Two jobs for one message (the sweep re-sent a reply whose job waited in a backlog):
    the second, finding the first's start counted and its claim fresh, neither sends it again
    nor takes it from the first."""
    (reply,) = _queue_replies(channel, ["Q1"])
    quarantine.started(quarantine.SMS, [reply])  # the first job, running
    db.session.execute(update(Message).where(Message.id == reply).values(
        status="sending", status_at=utcnow()))
    db.session.commit()
    assert jobs.send_message_job(reply) == "skipped"
    assert _status(reply) == ("sending", None)


def test_a_send_that_raises_goes_back_to_the_queue_and_is_quarantined_the_second_time(
        queued, channel, monkeypatch):
    """An exception (a bug, a timeout) counts as a kill does; the message is not left
    `sending` meanwhile."""
    from rq import SimpleWorker

    (reply,) = _queue_replies(channel, ["Q1"])
    monkeypatch.setattr(outbound, "_send", lambda *a: 1 / 0)
    SimpleWorker([jobs.queues.queue(jobs.queues.SMS)],
                 connection=jobs.queues.connection()).work(burst=True)
    status, error = _status(reply)
    assert status == "failed"
    assert error.startswith("quarantined: it crashed or its worker was killed 2 times")
    assert "ZeroDivisionError" in error

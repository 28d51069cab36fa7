"""SMS cost safety and robustness (issue 12, item 7): per-number and per-channel limits, a
"slow down" once, replies swept out after Redis comes back, control characters cleaned."""
from __future__ import annotations

from datetime import timedelta

import pytest
import responses
from sqlalchemy import select, update

from app.extensions import db
from app.messaging.contacts import Person
from app.models import Channel, Contact, Message
from app.models.base import utcnow
from sms_flows.messages import message
from tests.app.messaging.helpers import QUESTIONS, messages, path
from tests.app.messaging.test_africastalking_webhooks import at_accepts, inbound
from tests.pipeline.conftest import PrivateRedis


@pytest.fixture
def redis_server():
    server = PrivateRedis()
    yield server
    server.stop()


@pytest.fixture
def channel(make_channel, engine):
    return make_channel("africastalking", "sms")


@responses.activate
def test_a_number_texting_too_fast_is_stored_in_full_and_told_to_slow_down_once(
        app, client, channel):
    app.config["SMS_NUMBER_PER_MINUTE"] = 3
    at_accepts()
    for i in range(12):
        assert client.post(path(channel["inbound"]),
                           data=inbound("MAJI" if i == 0 else f"answer {i}", f"in-{i}")
                           ).status_code == 200
    received = messages("in")
    assert len(received) == 12  # nothing a person sent is lost
    assert [m.status for m in received] == ["received"] * 3 + ["throttled"] * 9
    replies = [m.text for m in messages("out")]
    slow_down = message("slow_down", "en")
    assert replies.count(slow_down) == 1
    assert len(replies) == 4  # three answers, one "slow down"; nothing for the other eight
    assert len(responses.calls) == 4


@responses.activate
def test_the_slow_down_message_is_in_the_persons_language(app, client, channel):
    app.config["SMS_NUMBER_PER_MINUTE"] = 1
    at_accepts()
    client.post(path(channel["inbound"]), data=inbound("MAJI", "in-1"))
    db.session.execute(update(Contact).values(language="sw"))
    db.session.commit()
    client.post(path(channel["inbound"]), data=inbound("1", "in-2"))
    assert messages("out")[-1].text == message("slow_down", "sw")
    assert message("slow_down", "sw").startswith("Unatuma ujumbe haraka mno")


@responses.activate
def test_a_whole_channel_over_its_minute_stores_texts_and_answers_none(app, client, channel):
    app.config["SMS_CHANNEL_PER_MINUTE"] = 2
    at_accepts()
    for i in range(4):
        client.post(path(channel["inbound"]),
                    data=inbound("MAJI", f"in-{i}", phone=f"+25471100020{i}"))
    assert [m.status for m in messages("in")] == ["received"] * 2 + ["throttled"] * 2
    assert len(messages("out")) == 2


@responses.activate
def test_replies_over_the_per_number_limit_are_stored_throttled_not_sent(app, client, channel):
    from app.messaging import outbound

    at_accepts()
    client.post(path(channel["inbound"]), data=inbound("MAJI", "in-1"))
    app.config["SMS_NUMBER_PER_MINUTE"] = 1  # a number may be sent twice that: two replies
    row = db.session.get(Contact, messages("out")[0].contact_id)
    contact = Person(row.id, row.language, row.opted_out_at)
    channel_row = db.session.get(Channel, messages("out")[0].channel_id)
    second = outbound.queue(channel_row, contact, "a second reply")
    db.session.commit()
    assert outbound.send(second) == "sent"
    extra = outbound.queue(channel_row, contact, "one reply too many")
    db.session.commit()
    assert outbound.send(extra) == "throttled"
    assert messages("out")[-1].status == "throttled"
    assert len(responses.calls) == 2


@responses.activate
def test_a_text_with_nul_and_control_characters_is_stored_cleaned_and_answered(client, channel):
    at_accepts()
    response = client.post(path(channel["inbound"]), data=inbound("MA\x00JI\x07\x1b", "in-nul"))
    assert response.status_code == 200
    (stored,) = messages("in")
    assert stored.text == "MAJI"
    assert [m.text for m in messages("out")] == [QUESTIONS[0]]


@responses.activate
def test_replies_queued_while_redis_was_down_are_sent_when_it_comes_back(
        app, client, channel, redis_server):
    import uuid

    from app import queues
    from app.worker import InProcessWorker

    app.config.update(REDIS_URL=redis_server.url, QUEUE_PREFIX=f"t{uuid.uuid4().hex[:8]}")
    at_accepts()
    # Redis is down: the webhook stores the reply and answers 200; no send job exists.
    assert client.post(path(channel["inbound"]), data=inbound("MAJI", "in-1")).status_code == 200
    (reply,) = messages("out")
    assert reply.status == "queued" and len(responses.calls) == 0
    redis_server.start()
    db.session.execute(update(Message).where(Message.id == reply.id).values(
        status_at=utcnow() - timedelta(minutes=2)))
    db.session.commit()
    # A worker's maintenance tick (at start, then each minute) sweeps it out, as it does
    # pipeline rows; it is sent once.
    InProcessWorker(queues.worker_queues(), connection=queues.connection()).work(burst=True)
    assert db.session.scalar(select(Message.status).where(Message.id == reply.id)) == "accepted"
    assert len(responses.calls) == 1


@responses.activate
def test_replies_over_the_channels_minute_are_stored_throttled_counted_in_redis(
        app, client, channel, redis_url):
    """The channel's limit holds for what we send too, counted in Redis (shared by every
    worker and web process)."""
    import uuid

    from redis import Redis

    from app.messaging import contacts, outbound

    prefix = f"t{uuid.uuid4().hex[:8]}"
    app.config.update(REDIS_URL=redis_url, QUEUE_PREFIX=prefix, SMS_CHANNEL_PER_MINUTE=3,
                      SMS_NUMBER_PER_MINUTE=0)
    at_accepts()
    try:
        channel_row = db.session.get(Channel, channel["id"])
        ids = [outbound.queue(channel_row, contacts.find_or_create(
            channel_row.project_id, f"+25471100030{i}"), f"reply {i}") for i in range(5)]
        db.session.commit()
        assert [outbound.send(i) for i in ids] == ["sent"] * 3 + ["throttled"] * 2
        assert [m.status for m in messages("out")] == ["accepted"] * 3 + ["throttled"] * 2
        assert len(responses.calls) == 3
    finally:
        conn = Redis.from_url(redis_url)
        keys = list(conn.scan_iter(f"{prefix}*"))
        if keys:
            conn.delete(*keys)

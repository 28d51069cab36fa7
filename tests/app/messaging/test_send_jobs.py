"""Sending through RQ on a real Redis: the webhook only enqueues; a worker sends; a message
the provider surely did not take goes back to the queue for a scheduled retry."""
from __future__ import annotations

import uuid

import pytest
import responses
from redis import Redis
from rq import Queue, SimpleWorker
from rq.registry import ScheduledJobRegistry

from tests.app.messaging.helpers import QUESTIONS, messages, path

SEND_URL = "https://api.africastalking.com/version1/messaging"
PHONE = "+254711000111"


@pytest.fixture
def queue(app, redis_url):
    prefix = f"sms-test-{uuid.uuid4().hex[:8]}"
    app.config.update(REDIS_URL=redis_url, QUEUE_PREFIX=prefix)
    connection = Redis.from_url(redis_url)
    yield Queue(f"{prefix}-sms", connection=connection)
    for key in connection.scan_iter(f"rq:*{prefix}*"):
        connection.delete(key)


@pytest.fixture
def channel(make_channel, engine):
    return make_channel("africastalking", "sms")


def text_in(client, channel, text: str, message_id: str) -> None:
    body = {"linkId": "1", "text": text, "to": "21512", "id": message_id,
            "date": "2017-05-03T06:04:45Z", "from": PHONE}
    assert client.post(path(channel["inbound"]), data=body).status_code == 200


@responses.activate
def test_the_webhook_enqueues_and_a_worker_sends(client, channel, queue):
    responses.post(SEND_URL, json={"SMSMessageData": {"Recipients": [
        {"statusCode": 101, "number": PHONE, "status": "Success", "messageId": "ATXid_rq"}]}})
    text_in(client, channel, "MAJI", "in-1")
    assert len(responses.calls) == 0
    assert messages("out")[0].status == "queued"
    assert queue.count == 1
    SimpleWorker([queue], connection=queue.connection).work(burst=True)
    (reply,) = messages("out")
    assert (reply.text, reply.status, reply.provider_message_id) == (
        QUESTIONS[0], "accepted", "ATXid_rq")
    assert len(responses.calls) == 1


@responses.activate
def test_flask_worker_sends_the_queue(client, runner, channel, queue):
    responses.post(SEND_URL, json={"SMSMessageData": {"Recipients": [
        {"statusCode": 101, "number": PHONE, "status": "Success", "messageId": "ATXid_cli"}]}})
    text_in(client, channel, "MAJI", "in-1")
    result = runner.invoke(args=["worker", "--burst"])
    assert result.exit_code == 0, result.output
    assert messages("out")[0].provider_message_id == "ATXid_cli"


@responses.activate
def test_a_5xx_goes_back_to_the_queue_for_a_scheduled_retry(client, channel, queue):
    responses.post(SEND_URL, status=503, json={"error": "unavailable"})
    text_in(client, channel, "MAJI", "in-1")
    SimpleWorker([queue], connection=queue.connection).work(burst=True)
    (reply,) = messages("out")
    assert (reply.status, reply.attempts) == ("queued", 1)
    assert len(ScheduledJobRegistry(queue=queue)) == 1

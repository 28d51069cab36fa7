"""Sending: stored first, retried only when the provider surely did not take the message,
never after a timeout; failures visible and resendable; opt-out enforced; throttled."""
from __future__ import annotations

import time

import pytest
import requests
import responses
from sqlalchemy import select

from app.extensions import db
from app.messaging import contacts, outbound
from app.models import Channel, Message
from tests.app.messaging.helpers import QUESTIONS, messages, path
from tests.helpers import refused_connection

SEND_URL = "https://api.africastalking.com/version1/messaging"
PHONE = "+254711000111"
OK = {"SMSMessageData": {"Recipients": [{"statusCode": 101, "number": PHONE,
                                         "status": "Success", "messageId": "ATXid_ok"}]}}


REFUSED = refused_connection()


def text_in(client, channel, text: str, message_id: str):
    body = {"linkId": "1", "text": text, "to": "21512", "id": message_id,
            "date": "2017-05-03 06:04:45", "from": PHONE}
    assert client.post(path(channel["inbound"]), data=body).status_code == 200


@pytest.fixture
def channel(make_channel, engine):
    return make_channel("africastalking", "sms")


@pytest.mark.parametrize("first", [
    {"status": 500, "json": {"error": "boom"}},
    {"status": 503, "json": {"error": "unavailable"}},
    {"status": 429, "json": {"error": "slow down"}},
    {"body": REFUSED},
    {"json": {"SMSMessageData": {"Recipients": [{"statusCode": 500, "number": PHONE,
                                                 "status": "InternalServerError"}]}}},
])
@responses.activate
def test_a_message_the_provider_surely_did_not_take_is_retried(client, channel, first):
    responses.post(SEND_URL, **first)
    responses.post(SEND_URL, json=OK)
    text_in(client, channel, "MAJI", "in-1")
    assert len(responses.calls) == 2
    (reply,) = messages("out")
    assert (reply.status, reply.attempts, reply.provider_message_id) == (
        "accepted", 2, "ATXid_ok")


@responses.activate
def test_a_read_timeout_is_never_retried_and_left_for_a_person(client, channel, project,
                                                               manager):
    responses.post(SEND_URL, body=requests.ReadTimeout("read timed out"))
    text_in(client, channel, "MAJI", "in-1")
    assert len(responses.calls) == 1
    (reply,) = messages("out")
    assert (reply.status, reply.attempts) == ("unknown", 1)
    listed = client.get(f"/v1/projects/{project}/messages?phone={PHONE}", headers=manager)
    assert listed.get_json()[0]["status"] == "unknown"


@responses.activate
def test_a_refusal_fails_once_and_a_resend_sends_again(client, channel, project, manager):
    responses.post(SEND_URL, status=401, json={"error": "The supplied authentication is invalid"})
    text_in(client, channel, "MAJI", "in-1")
    (reply,) = messages("out")
    assert (reply.status, reply.attempts) == ("failed", 1)
    assert "401" in reply.error
    responses.replace(responses.POST, SEND_URL, json=OK)
    response = client.post(f"/v1/projects/{project}/messages/{reply.id}/resend",
                           headers=manager)
    assert response.status_code == 200
    assert response.get_json()["status"] == "accepted"
    assert len(responses.calls) == 2


@responses.activate
def test_only_a_failed_message_can_be_resent(client, channel, project, manager):
    responses.post(SEND_URL, json=OK)
    text_in(client, channel, "MAJI", "in-1")
    (reply,) = messages("out")
    response = client.post(f"/v1/projects/{project}/messages/{reply.id}/resend",
                           headers=manager)
    assert response.status_code == 409
    inbound = messages("in")[0]
    assert client.post(f"/v1/projects/{project}/messages/{inbound.id}/resend",
                       headers=manager).status_code == 409
    assert len(responses.calls) == 1


@responses.activate
def test_retries_stop_after_the_last_attempt(client, channel):
    responses.post(SEND_URL, status=503, json={"error": "unavailable"})
    text_in(client, channel, "MAJI", "in-1")
    (reply,) = messages("out")
    assert (reply.status, reply.attempts) == ("failed", outbound.MAX_ATTEMPTS)
    assert len(responses.calls) == outbound.MAX_ATTEMPTS


def test_nothing_is_queued_for_an_opted_out_person(app, channel):
    row = db.session.get(Channel, channel["id"])
    person = contacts.find_or_create(row.project_id, PHONE)
    contacts.opt_out(person.id)
    assert outbound.queue(row, contacts.lock(person.id), "Hello") is None
    db.session.commit()
    assert messages("out") == []


def test_a_queued_message_is_not_sent_if_the_person_opted_out_meanwhile(app, channel):
    row = db.session.get(Channel, channel["id"])
    person = contacts.find_or_create(row.project_id, PHONE)
    message_id = outbound.queue(row, person, "Hello")
    db.session.commit()
    contacts.opt_out(person.id)
    db.session.commit()
    with responses.RequestsMock() as mock:  # any HTTP call would fail here
        assert outbound.send(message_id) == "failed"
        assert len(mock.calls) == 0
    assert db.session.get(Message, message_id).error == "opted out"


def test_a_second_job_for_the_same_message_sends_nothing(app, channel):
    row = db.session.get(Channel, channel["id"])
    message_id = outbound.queue(row, contacts.find_or_create(row.project_id, PHONE), "Hello")
    db.session.commit()
    with responses.RequestsMock() as mock:
        mock.post(SEND_URL, json=OK)
        assert outbound.send(message_id) == "sent"
        assert outbound.send(message_id) == "skipped"
        assert len(mock.calls) == 1


def test_sending_is_throttled_per_channel(app, channel):
    row = db.session.get(Channel, channel["id"])
    row.settings = {"ratePerSecond": 20}
    started = time.monotonic()
    for _ in range(5):
        outbound.throttle(row)
    assert time.monotonic() - started >= 4 / 20 - 0.01


@responses.activate
def test_the_reply_is_stored_before_it_is_sent(client, channel):
    seen: list[str] = []

    def reply(request):
        db.session.expire_all()
        seen.extend(m.status for m in db.session.scalars(select(Message).where(
            Message.direction == "out")))
        return 200, {"Content-Type": "application/json"}, '{"SMSMessageData": {"Recipients": [' \
            '{"statusCode": 101, "status": "Success", "messageId": "ATXid_s"}]}}'

    responses.add_callback(responses.POST, SEND_URL, callback=reply)
    text_in(client, channel, "MAJI", "in-1")
    assert seen == ["sending"]
    assert messages("out")[0].text == QUESTIONS[0]

"""Africa's Talking end to end: webhook → conversation → reply stored → send job → the SDK's
exact HTTP request; delivery reports, opt-outs, duplicates, and the callback secret."""
from __future__ import annotations

import itertools
import json
import logging
from urllib.parse import parse_qs

import pytest
import responses
from sqlalchemy import select

from app.extensions import db
from app.models import Contact, Conversation, Submission
from tests.app.messaging.helpers import QUESTIONS, messages, path

SEND_URL = "https://api.africastalking.com/version1/messaging"
PHONE = "+254711000111"


def inbound(text: str, message_id: str, phone: str = PHONE) -> dict[str, str]:
    """AT's incoming-message callback, as courier's test captured it."""
    return {"linkId": "03090445075804249226", "text": text, "to": "21512", "id": message_id,
            "date": "2017-05-03T06:04:45Z", "from": phone, "networkCode": "63902"}


def at_accepts(message_id: str | None = None) -> None:
    """AT's answer to a send; a fresh messageId each time unless one is given."""
    ids = itertools.count(1)

    def reply(request):
        body = {"SMSMessageData": {"Message": "Sent to 1/1 Total Cost: KES 0.8000", "Recipients": [{
            "statusCode": 101, "number": PHONE, "status": "Success", "cost": "KES 0.8000",
            "messageId": message_id or f"ATXid_{next(ids)}"}]}}
        return 201, {"Content-Type": "application/json"}, json.dumps(body)

    responses.add_callback(responses.POST, SEND_URL, callback=reply)


@pytest.fixture
def channel(make_channel, engine):
    return make_channel("africastalking", "sms")


@responses.activate
def test_a_keyword_starts_the_survey_and_the_reply_goes_out_through_the_sdk(client, channel):
    at_accepts("ATXid_q1")
    response = client.post(path(channel["inbound"]), data=inbound("MAJI", "in-1"))
    assert response.status_code == 200
    assert len(responses.calls) == 1
    sent = parse_qs(responses.calls[0].request.body)
    assert sent == {"username": ["datashift"], "to": [PHONE], "message": [QUESTIONS[0]],
                    "bulkSMSMode": ["1"], "from": ["21512"]}
    assert responses.calls[0].request.headers["apiKey"] == "atsk_secret"
    out = messages("out")
    assert [(m.text, m.status, m.provider_message_id) for m in out] == [
        (QUESTIONS[0], "accepted", "ATXid_q1")]


@responses.activate
def test_a_whole_survey_lands_as_an_sms_submission(client, channel, project):
    at_accepts()
    for number, text in enumerate(["maji", "Kisima cha Juu", "42"]):
        assert client.post(path(channel["inbound"]),
                           data=inbound(text, f"in-{number}")).status_code == 200
    conversation = db.session.scalars(select(Conversation)).one()
    assert conversation.status == "completed"
    assert conversation.error is None
    submission = db.session.scalars(select(Submission)).one()
    assert submission.channel == "sms"
    assert submission.instance_id == conversation.instance_id
    assert [m.text for m in messages("out")] == [*QUESTIONS, "Asante! Thank you."]


@responses.activate
def test_a_repeated_delivery_never_advances_twice_nor_replies_twice(client, channel):
    at_accepts()
    client.post(path(channel["inbound"]), data=inbound("MAJI", "in-1"))
    for _ in range(3):  # AT retries the same callback
        assert client.post(path(channel["inbound"]),
                           data=inbound("Kisima", "in-2")).status_code == 200
    conversation = db.session.scalars(select(Conversation)).one()
    assert conversation.state["answers"] == ["Kisima"]
    assert len(messages("in")) == 2
    assert [m.text for m in messages("out")] == QUESTIONS
    assert len(responses.calls) == 2


@pytest.mark.parametrize("mutate", [
    lambda url: url.replace("/inbound", "x/inbound"),  # wrong secret
    lambda url: url.replace("/webhooks/", "/webhooks/9").replace("/inbound", "/inbound"),
    lambda url: url.replace("/inbound", "/status"),  # a hook AT channels do not have
])
def test_a_wrong_callback_url_is_404_and_stores_nothing(client, channel, mutate):
    response = client.post(path(mutate(channel["inbound"])), data=inbound("MAJI", "in-1"))
    assert response.status_code == 404
    assert messages() == []


def test_a_disabled_channel_answers_404(client, channel, project, manager):
    client.patch(f"/v1/projects/{project}/channels/{channel['id']}", json={"enabled": False},
                 headers=manager)
    assert client.post(path(channel["inbound"]), data=inbound("MAJI", "in-1")).status_code == 404


def test_a_bad_payload_names_the_field(client, channel):
    body = inbound("MAJI", "in-1")
    body["from"] = "MTN"
    response = client.post(path(channel["inbound"]), data=body)
    assert response.status_code == 400
    assert response.get_json()["details"]["field"] == "from"


@responses.activate
def test_delivery_reports_move_forward_only(client, channel):
    at_accepts("ATXid_dda018a640edfcc5d2ce455de3e4a6e7")
    client.post(path(channel["inbound"]), data=inbound("MAJI", "in-1"))
    report = {"id": "ATXid_dda018a640edfcc5d2ce455de3e4a6e7", "phoneNumber": PHONE,
              "networkCode": "63902"}
    for status in ("Success", "Sent", "Buffered"):  # out of order: delivered first
        assert client.post(path(channel["delivery"]),
                           data={**report, "status": status}).status_code == 200
    (reply,) = messages("out")
    assert (reply.status, reply.provider_status) == ("delivered", "Success")


def test_an_unknown_delivery_status_is_refused(client, channel):
    response = client.post(path(channel["delivery"]), data={"id": "ATXid_1", "status": "Borked"})
    assert response.status_code == 400


@responses.activate
def test_stop_opts_out_and_nothing_is_sent_until_start(client, channel):
    at_accepts()
    client.post(path(channel["inbound"]), data=inbound("MAJI", "in-1"))
    client.post(path(channel["inbound"]), data=inbound("acha", "in-2"))  # Kiswahili STOP
    client.post(path(channel["inbound"]), data=inbound("Kisima", "in-3"))
    client.post(path(channel["inbound"]), data=inbound("MAJI", "in-4"))
    assert len(responses.calls) == 1
    conversation = db.session.scalars(select(Conversation)).one()
    assert conversation.status == "opted-out"
    assert db.session.scalars(select(Contact)).one().opted_out_at is not None
    client.post(path(channel["inbound"]), data=inbound("START", "in-5"))
    client.post(path(channel["inbound"]), data=inbound("MAJI", "in-6"))
    assert [parse_qs(c.request.body)["message"][0] for c in responses.calls] == [
        QUESTIONS[0], "Send MAJI to start a survey.", QUESTIONS[0]]


@responses.activate
def test_the_bulk_opt_out_callback_stops_every_send(client, channel):
    at_accepts()
    client.post(path(channel["inbound"]), data=inbound("MAJI", "in-1"))
    assert client.post(path(channel["optout"]), data={
        "senderId": "DATASHIFT", "phoneNumber": PHONE}).status_code == 200
    client.post(path(channel["inbound"]), data=inbound("Kisima", "in-2"))
    assert len(responses.calls) == 1


@responses.activate
def test_a_blacklisted_delivery_failure_opts_the_person_out(client, channel):
    at_accepts("ATXid_b")
    client.post(path(channel["inbound"]), data=inbound("MAJI", "in-1"))
    client.post(path(channel["delivery"]), data={
        "id": "ATXid_b", "status": "Failed", "phoneNumber": PHONE, "networkCode": "63902",
        "failureReason": "UserInBlackList", "retryCount": "0"})
    assert db.session.scalars(select(Contact)).one().opted_out_at is not None
    assert messages("out")[0].status == "failed"


@responses.activate
def test_the_number_never_appears_in_the_logs(client, channel, caplog):
    caplog.set_level(logging.DEBUG)
    at_accepts()
    client.post(path(channel["inbound"]), data=inbound("MAJI", "in-1"))
    client.post(path(channel["inbound"]), data=inbound("MAJI", "in-1"))
    client.post(path(channel["inbound"]), data=inbound("STOP", "in-2"))
    assert caplog.records
    for record in caplog.records:
        assert "711000111" not in record.getMessage()


def test_the_number_is_stored_only_hashed_and_encrypted(client, channel, engine):
    with responses.RequestsMock() as mock:
        mock.post(SEND_URL, json={"SMSMessageData": {"Recipients": [
            {"statusCode": 101, "status": "Success", "messageId": "x"}]}})
        client.post(path(channel["inbound"]), data=inbound("MAJI", "in-1"))
    contact = db.session.scalars(select(Contact)).one()
    assert PHONE not in contact.phone_hash and PHONE not in contact.phone_encrypted
    assert len(contact.phone_hash) == 64
    assert engine.started[0].phone == contact.phone_hash  # metadata gets the hash by default


def test_a_project_may_allow_the_clear_number_for_the_phonenumber_question(
        client, channel, engine, project):
    from app.models import Project

    db.session.get(Project, project).settings = {"allowPhoneNumbers": True}
    db.session.commit()
    with responses.RequestsMock() as mock:
        mock.post(SEND_URL, json={"SMSMessageData": {"Recipients": [
            {"statusCode": 101, "status": "Success", "messageId": "x"}]}})
        client.post(path(channel["inbound"]), data=inbound("MAJI", "in-1"))
    assert engine.started[0].phone == PHONE

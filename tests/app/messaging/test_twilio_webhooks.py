"""Twilio end to end: signatures (SDK RequestValidator) checked against PUBLIC_URL before
anything is stored, replies sent by twilio.rest.Client, status callbacks out of order, 21610."""
from __future__ import annotations

import itertools
import json
from urllib.parse import parse_qs

import pytest
import responses
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from app.extensions import db
from app.models import Contact, Conversation
from tests.app.messaging.helpers import QUESTIONS, messages, path

SID = "AC" + "0" * 32
SEND_URL = f"https://api.twilio.com/2010-04-01/Accounts/{SID}/Messages.json"
PHONE = "+14133881111"
PUBLIC = "https://collect.example.org"


def inbound(text: str, sid: str) -> dict[str, str]:
    """courier's captured Twilio inbound payload."""
    return {"ToCountry": "US", "ToState": "District Of Columbia", "SmsMessageSid": sid,
            "NumMedia": "0", "ToCity": "", "FromZip": "01022", "SmsSid": sid, "FromState": "MA",
            "SmsStatus": "received", "FromCity": "CHICOPEE", "Body": text, "FromCountry": "US",
            "To": "+12028831111", "ToZip": "", "NumSegments": "1", "MessageSid": sid,
            "AccountSid": SID, "From": PHONE, "ApiVersion": "2010-04-01"}


def signed_post(client, url: str, data: dict[str, str], token: str = "tw-token"):
    """POST as Twilio does: signed over the public URL, received behind a proxy."""
    signature = RequestValidator(token).compute_signature(url, data)
    return client.post(path(url), data=data, headers={"X-Twilio-Signature": signature})


def twilio_accepts() -> None:
    ids = itertools.count(1)

    def reply(request):
        return 201, {"Content-Type": "application/json"}, json.dumps(
            {"sid": f"SM{next(ids):032d}", "status": "queued"})

    responses.add_callback(responses.POST, SEND_URL, callback=reply)


@pytest.fixture
def channel(app, make_channel, engine):
    app.config["PUBLIC_URL"] = PUBLIC
    return make_channel("twilio", "sms", address="+12028831111")


def test_urls_are_public_and_include_the_status_callback(channel):
    assert channel["inbound"].startswith(f"{PUBLIC}/webhooks/{channel['id']}/")
    assert set(channel["webhooks"]) == {"inbound", "status"}


@responses.activate
def test_a_signed_text_is_answered_through_the_rest_client(client, channel):
    twilio_accepts()
    response = signed_post(client, channel["inbound"], inbound("MAJI", "SM" + "a" * 32))
    assert response.status_code == 200
    assert response.mimetype == "text/xml" and b"<Response/>" in response.data
    (call,) = responses.calls
    assert parse_qs(call.request.body) == {"To": [PHONE], "From": ["+12028831111"],
                                           "Body": [QUESTIONS[0]],
                                           "StatusCallback": [channel["status"]]}
    assert call.request.headers["Authorization"].startswith("Basic ")
    assert [(m.status, m.provider_message_id) for m in messages("out")] == [
        ("accepted", "SM" + "0" * 31 + "1")]


@pytest.mark.parametrize("tamper", ["token", "body", "missing"])
def test_a_bad_signature_is_refused_before_anything_is_stored(client, channel, tamper):
    data = inbound("MAJI", "SM" + "a" * 32)
    if tamper == "missing":
        response = client.post(path(channel["inbound"]), data=data)
    else:
        signature = RequestValidator("other" if tamper == "token" else "tw-token") \
            .compute_signature(channel["inbound"], data)
        if tamper == "body":
            data["Body"] = "STOP"
        response = client.post(path(channel["inbound"]), data=data,
                               headers={"X-Twilio-Signature": signature})
    assert response.status_code == 403
    assert messages() == [] and db.session.scalars(select(Contact)).all() == []


@responses.activate
def test_status_callbacks_out_of_order_never_move_backwards(client, channel):
    twilio_accepts()
    signed_post(client, channel["inbound"], inbound("MAJI", "SM" + "a" * 32))
    sid = messages("out")[0].provider_message_id
    for status in ("delivered", "sent", "queued"):
        response = signed_post(client, channel["status"], {
            "MessageSid": sid, "MessageStatus": status, "AccountSid": SID, "To": PHONE})
        assert response.status_code == 200
    (reply,) = messages("out")
    assert (reply.status, reply.provider_status) == ("delivered", "delivered")


@responses.activate
def test_error_21610_in_a_status_callback_opts_the_person_out(client, channel):
    twilio_accepts()
    signed_post(client, channel["inbound"], inbound("MAJI", "SM" + "a" * 32))
    sid = messages("out")[0].provider_message_id
    signed_post(client, channel["status"], {"ErrorCode": "21610", "MessageSid": sid,
                                            "MessageStatus": "failed", "To": PHONE})
    assert db.session.scalars(select(Contact)).one().opted_out_at is not None
    signed_post(client, channel["inbound"], inbound("Kisima", "SM" + "b" * 32))
    assert len(responses.calls) == 1


@responses.activate
def test_error_21610_on_send_opts_out_and_fails_the_message(client, channel):
    responses.post(SEND_URL, status=400, json={
        "code": 21610, "message": "Attempt to send to unsubscribed recipient", "status": 400})
    signed_post(client, channel["inbound"], inbound("MAJI", "SM" + "a" * 32))
    (reply,) = messages("out")
    assert reply.status == "failed" and "opted out" in reply.error
    assert db.session.scalars(select(Contact)).one().opted_out_at is not None
    assert db.session.scalars(select(Conversation)).one().status == "opted-out"


@responses.activate
def test_a_retried_twilio_webhook_is_handled_once(client, channel):
    twilio_accepts()
    for _ in range(2):
        signed_post(client, channel["inbound"], inbound("MAJI", "SM" + "a" * 32))
    assert len(messages("in")) == 1 and len(responses.calls) == 1

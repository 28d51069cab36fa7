"""The real engine (sms_flows.engine) behind the providers' webhooks: AT SMS and Twilio texts
answered through the SDKs' exact requests, an AT USSD session to the end, a retried hop and a
redial, each landing as one submission with its channel."""
from __future__ import annotations

import json
from urllib.parse import parse_qs

import responses
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from app.extensions import db
from app.models import Conversation, Submission
from tests.app.messaging.helpers import at_accepts, messages, path
from tests.sms_flows.engine_support import WATER_TEXTS

ANSWERS = WATER_TEXTS
PHONE = "+254711000111"


@responses.activate
def test_a_whole_water_point_survey_over_africastalking_sms(client, make_channel):
    at_accepts()
    channel = make_channel("africastalking", "sms")
    for number, text in enumerate(["maji", *ANSWERS]):
        response = client.post(path(channel["inbound"]), data={
            "linkId": "1", "text": text, "to": "21512", "id": f"in-{number}",
            "date": "2026-11-26 20:00:00", "from": PHONE, "networkCode": "63902"})
        assert response.status_code == 200
    sent = [parse_qs(call.request.body)["message"][0] for call in responses.calls]
    assert "Do you agree" in sent[0]
    assert sent[-1] == "Thank you. Your answers help hold water services to account."
    assert all(parse_qs(c.request.body)["to"] == [PHONE] for c in responses.calls)
    assert {m.status for m in messages("out")} == {"accepted"}
    submission = db.session.scalars(select(Submission)).one()
    assert submission.channel == "sms"
    assert submission.defs[0].data["root"]["/data/wp/ward"] == "nyalenda_a"


@responses.activate
def test_twilio_texts_are_answered_by_the_real_engine(app, client, make_channel):
    app.config["PUBLIC_URL"] = "https://collect.example.org"
    sid = "AC" + "0" * 32
    responses.add_callback(
        responses.POST, f"https://api.twilio.com/2010-04-01/Accounts/{sid}/Messages.json",
        callback=lambda request: (201, {"Content-Type": "application/json"},
                                  json.dumps({"sid": "SM" + "1" * 32, "status": "queued"})))
    channel = make_channel("twilio", "sms", address="+12028831111")
    data = {"MessageSid": "SM" + "a" * 32, "AccountSid": sid, "From": "+14133881111",
            "To": "+12028831111", "Body": "MAJI", "NumSegments": "1"}
    signature = RequestValidator("tw-token").compute_signature(channel["inbound"], data)
    response = client.post(path(channel["inbound"]), data=data,
                           headers={"X-Twilio-Signature": signature})
    assert response.status_code == 200
    (call,) = responses.calls
    body = parse_qs(call.request.body)
    assert "Do you agree" in body["Body"][0] and body["To"] == ["+14133881111"]


def test_an_africastalking_ussd_session_to_the_end_with_a_retry_and_a_redial(client,
                                                                            make_channel):
    channel = make_channel("africastalking", "ussd", address="*384*21#",
                           settings={"form": "water_point"})

    def hop(session: str, history: list[str]) -> str:
        response = client.post(path(channel["inbound"]), data={
            "sessionId": session, "serviceCode": "*384*21#", "phoneNumber": PHONE,
            "networkCode": "63902", "text": "*".join(history)})
        assert response.status_code == 200 and response.mimetype == "text/plain"
        screen = response.get_data(as_text=True)
        assert screen[:4] in ("CON ", "END ") and len(screen) <= 182
        return screen

    first = hop("ATUid_1", [])
    assert first.startswith("CON ") and "agree" in first
    history: list[str] = []
    for text in ANSWERS[:5]:
        history.append(text)
        screen = hop("ATUid_1", history)
    assert hop("ATUid_1", history) == screen  # AT retried the hop: same screen, no advance
    # The network cuts the session; the person dials again and goes on where they stopped.
    redial = hop("ATUid_2", [])
    assert redial == "CON You have a survey in progress.\n1. Continue\n2. Start again"
    history = ["1"]
    assert hop("ATUid_2", history) == screen
    for text in ANSWERS[5:]:
        history.append(text)
        screen = hop("ATUid_2", history)
    assert screen.startswith("END ")
    conversation = db.session.scalars(select(Conversation)).one()
    assert conversation.status == "completed" and conversation.instance_id
    submission = db.session.scalars(select(Submission)).one()
    assert submission.channel == "ussd"
    assert submission.defs[0].data["root"]["/data/wp/comments"] == "Maji ni machafu"


@responses.activate
def test_stop_said_in_a_ussd_session_opts_the_person_out_of_sms_too(client, make_channel):
    from app.models import Contact

    ussd = make_channel("africastalking", "ussd", address="*384*21#",
                        settings={"form": "water_point"})
    sms = make_channel("africastalking", "sms")
    for history in ([], ["STOP"]):
        client.post(path(ussd["inbound"]), data={
            "sessionId": "ATUid_s", "serviceCode": "*384*21#", "phoneNumber": PHONE,
            "networkCode": "63902", "text": "*".join(history)})
    assert db.session.scalars(select(Contact)).one().opted_out_at is not None
    client.post(path(sms["inbound"]), data={"linkId": "1", "text": "MAJI", "to": "21512",
                                             "id": "in-1", "date": "2026-11-26 20:00:00",
                                             "from": PHONE})
    assert len(responses.calls) == 0

"""Twilio: courier's captured payloads, signatures made with the SDK's RequestValidator, and
the exact request `twilio.rest.Client` sends, caught at the HTTP layer."""
from __future__ import annotations

import base64
from urllib.parse import parse_qs

import pytest
import requests
import responses
from twilio.request_validator import RequestValidator

from sms_flows.providers.base import BadPayload, SendFailed
from sms_flows.providers.twilio import Twilio, decode_possible_base64, signature_valid
from tests.helpers import refused_connection

TW = Twilio()
SID, TOKEN = "AC0123456789abcdef0123456789abcdef", "6789"
SEND_URL = f"https://api.twilio.com/2010-04-01/Accounts/{SID}/Messages.json"
CREDS = {"accountSid": SID, "authToken": TOKEN}

# courier handlers/twiml/handlers_test.go
RECEIVE_VALID = (
    "ToCountry=US&ToState=District+Of+Columbia&SmsMessageSid=SMe287d7109a5a925f182f0e07fe5b223b"
    "&NumMedia=0&ToCity=&FromZip=01022&SmsSid=SMe287d7109a5a925f182f0e07fe5b223b&FromState=MA"
    "&SmsStatus=received&FromCity=CHICOPEE&Body=Msg&FromCountry=US&To=%2B12028831111&ToZip="
    "&NumSegments=1&MessageSid=SMe287d7109a5a925f182f0e07fe5b223b&AccountSid=acctid"
    "&From=%2B14133881111&ApiVersion=2010-04-01")
RECEIVE_BASE64 = RECEIVE_VALID.replace(
    "Body=Msg", "Body=QmFubm9uIEV4cGxhaW5zIFRoZSBXb3JsZCAuLi4K4oCcVGhlIENhbXAgb2YgdGhlIFNhaW50c"
    "%2BKA")
STATUS_STOP = ("ErrorCode=21610&MessageSid=SMe287d7109a5a925f182f0e07fe5b223b"
               "&MessageStatus=failed&To=%2B12028831111")


def form(query: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}


def test_inbound_message_is_read_from_twilios_fields():
    message = TW.parse_inbound(form(RECEIVE_VALID))
    assert (message.sender, message.recipient, message.text, message.provider_id,
            message.segments) == ("+14133881111", "+12028831111", "Msg",
                                  "SMe287d7109a5a925f182f0e07fe5b223b", 1)


def test_a_base64_concatenated_body_is_decoded():
    assert TW.parse_inbound(form(RECEIVE_BASE64)).text == \
        "Bannon Explains The World ...\n“The Camp of the Saints"


@pytest.mark.parametrize("body", ["Msg", "1", "Jina la kisima ni Maji Safi kwa jamii yote ya "
                                  "kijiji chetu hapa", "QUJDRA=="])
def test_ordinary_answers_are_not_mistaken_for_base64(body):
    assert decode_possible_base64(body) == body


def test_inbound_without_a_message_sid_names_it():
    with pytest.raises(BadPayload) as caught:
        TW.parse_inbound({"From": "+14133881111", "To": "+12028831111", "Body": "x"})
    assert caught.value.field == "MessageSid"


def test_signatures_are_checked_by_the_sdk_against_the_public_url():
    url = "https://collect.example.org/webhooks/7/abc/inbound"
    params = form(RECEIVE_VALID)
    signature = RequestValidator(TOKEN).compute_signature(url, params)
    assert signature_valid(TOKEN, url, params, signature)
    assert not signature_valid(TOKEN, "http://10.0.0.5:8000/webhooks/7/abc/inbound", params,
                               signature)
    assert not signature_valid("other-token", url, params, signature)
    assert not signature_valid(TOKEN, url, {**params, "Body": "STOP"}, signature)
    assert not signature_valid(TOKEN, url, params, None)


@pytest.mark.parametrize("raw, ours", [
    ("accepted", "accepted"), ("queued", "accepted"), ("sending", "accepted"), ("sent", "sent"),
    ("delivered", "delivered"), ("read", "delivered"), ("undelivered", "failed"),
    ("failed", "failed"), ("canceled", "failed"),
])
def test_status_callbacks_map_by_the_literal_table(raw, ours):
    report = TW.parse_report(form(f"MessageSid=SMe287d7109a5a925f182f0e07fe5b223b"
                                  f"&MessageStatus={raw}"))
    assert (report.provider_id, report.status, report.provider_status) == (
        "SMe287d7109a5a925f182f0e07fe5b223b", ours, raw)


def test_error_21610_reports_the_opt_out():
    report = TW.parse_report(form(STATUS_STOP))
    assert (report.status, report.error, report.opted_out_phone) == (
        "failed", "21610", "+12028831111")


def test_a_status_callback_without_status_is_ignored_and_an_unknown_one_refused():
    assert TW.parse_report({}) is None
    with pytest.raises(BadPayload):
        TW.parse_report(form("MessageSid=SMe287d7109a5a925f182f0e07fe5b223b&MessageStatus=huh"))


def _sent(call) -> dict[str, list[str]]:
    return parse_qs(call.request.body)


@responses.activate
def test_send_posts_what_the_sdk_builds_with_basic_auth():
    responses.post(SEND_URL, status=201, json={"sid": "SM1002", "status": "queued"})
    result = TW.send(CREDS, "+12028831111", "+14133881111", "Pregunta 1: ¿Nombre?",
                     status_callback="https://collect.example.org/webhooks/7/abc/status")
    assert (result.provider_id, result.status, result.provider_status) == (
        "SM1002", "accepted", "queued")
    call = responses.calls[0]
    assert call.request.method == "POST" and call.request.url == SEND_URL
    expected = "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
    assert call.request.headers["Authorization"] == expected
    assert _sent(call) == {"To": ["+14133881111"], "From": ["+12028831111"],
                           "Body": ["Pregunta 1: ¿Nombre?"],
                           "StatusCallback": ["https://collect.example.org/webhooks/7/abc/status"]}


@responses.activate
def test_a_messaging_service_replaces_from():
    responses.post(SEND_URL, status=201, json={"sid": "SM1003", "status": "accepted"})
    TW.send(CREDS, "+12028831111", "+14133881111", "Hi",
            settings={"messagingServiceSid": "MGdb23ec0f89ee2632e46e91d8128f5e2b"})
    sent = _sent(responses.calls[0])
    assert sent["MessagingServiceSid"] == ["MGdb23ec0f89ee2632e46e91d8128f5e2b"]
    assert "From" not in sent


@responses.activate
def test_error_21610_means_opted_out_and_is_not_retried():
    responses.post(SEND_URL, status=400, json={"code": 21610, "message": "Attempt to send to "
                                               "unsubscribed recipient", "status": 400})
    with pytest.raises(SendFailed) as caught:
        TW.send(CREDS, "+12028831111", "+14133881111", "Hi")
    assert caught.value.opted_out and not caught.value.retry


@pytest.mark.parametrize("status, body, retry", [
    (429, {"code": 20429, "message": "Too Many Requests", "status": 429}, True),
    (500, {"code": 20500, "message": "Internal Server Error", "status": 500}, True),
    (503, {"code": 20503, "message": "Service Unavailable", "status": 503}, True),
    (400, {"code": 21211, "message": "Invalid 'To' Phone Number", "status": 400}, False),
    (401, {"code": 20003, "message": "Authenticate", "status": 401}, False),
])
@responses.activate
def test_http_errors_retry_only_on_5xx_and_429(status, body, retry):
    responses.post(SEND_URL, status=status, json=body)
    with pytest.raises(SendFailed) as caught:
        TW.send(CREDS, "+12028831111", "+14133881111", "Hi")
    assert caught.value.retry is retry
    assert caught.value.provider_status == str(body["code"])


REFUSED = refused_connection()


@responses.activate
def test_a_refused_connection_is_retried_but_a_timeout_never():
    responses.post(SEND_URL, body=REFUSED)
    with pytest.raises(SendFailed) as refused:
        TW.send(CREDS, "+12028831111", "+14133881111", "Hi")
    assert refused.value.retry
    responses.replace(responses.POST, SEND_URL, body=requests.ReadTimeout("read timed out"))
    with pytest.raises(SendFailed) as timed_out:
        TW.send(CREDS, "+12028831111", "+14133881111", "Hi")
    assert timed_out.value.ambiguous and not timed_out.value.retry

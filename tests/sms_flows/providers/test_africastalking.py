"""Africa's Talking: real callback payloads (courier's captured ones, AT's docs) and the exact
requests the SDK sends, caught at the HTTP layer."""
from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import parse_qs

import pytest
import requests
import responses

from sms_flows.providers.africastalking import AfricasTalking, secret_matches
from sms_flows.providers.base import BadPayload, SendFailed
from tests.helpers import refused_connection

AT = AfricasTalking()
SEND_URL = "https://api.africastalking.com/version1/messaging"
CREDS = {"username": "datashift", "apiKey": "atsk_0123456789"}


def form(query: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}


# courier handlers/africastalking/handler_test.go, "Receive Valid" (both date formats)
INBOUND_ISO = ("linkId=03090445075804249226&text=Msg&to=21512&id=ec9adc86-51d5-4bc8-8eb0-"
               "d8ab0bb53dc3&date=2017-05-03T06%3A04%3A45Z&from=%2B254791541111")
INBOUND_SPACE = ("linkId=03090445075804249226&text=Msg&to=21512&id=ec9adc86-51d5-4bc8-8eb0-"
                 "d8ab0bb53dc3&date=2017-05-03+06%3A04%3A45&from=%2B254791541111")


@pytest.mark.parametrize("payload", [INBOUND_ISO, INBOUND_SPACE])
def test_inbound_sms_reads_both_date_formats_as_utc(payload):
    message = AT.parse_inbound(form(payload))
    assert message.sender == "+254791541111"
    assert message.recipient == "21512"
    assert message.text == "Msg"
    assert message.provider_id == "ec9adc86-51d5-4bc8-8eb0-d8ab0bb53dc3"
    assert message.link_id == "03090445075804249226"
    assert message.received_at == datetime(2017, 5, 3, 6, 4, 45, tzinfo=UTC)


def test_inbound_sms_keeps_the_network_code():
    message = AT.parse_inbound(form(INBOUND_ISO + "&networkCode=63902"))
    assert message.network_code == "63902"


@pytest.mark.parametrize("payload, field", [
    ("empty", "id"),
    ("linkId=03090445075804249226&to=21512&id=ec9adc86-51d5-4bc8-8eb0-d8ab0bb53dc3"
     "&date=2017-05-03T06%3A04%3A45Z&from=%2B254791541111", "text"),
    ("linkId=03090445075804249226&text=Msg&to=21512&id=ec9adc86-51d5-4bc8-8eb0-d8ab0bb53dc3"
     "&date=2017-05-03T06%3A04%3A45Z&from=MTN", "from"),
    ("linkId=03090445075804249226&text=Msg&to=21512&id=ec9adc86-51d5-4bc8-8eb0-d8ab0bb53dc3"
     "&date=2017-05-03T06%3A04&from=%2B254791541111", "date"),
])
def test_inbound_sms_with_a_bad_field_names_it(payload, field):
    with pytest.raises(BadPayload) as caught:
        AT.parse_inbound(form(payload))
    assert caught.value.field == field


@pytest.mark.parametrize("raw, ours", [
    ("Sent", "sent"), ("Submitted", "sent"), ("Buffered", "sent"), ("Success", "delivered"),
    ("Rejected", "failed"), ("Failed", "failed"), ("Expired", "failed"),
])
def test_delivery_reports_map_by_the_literal_table(raw, ours):
    report = AT.parse_report(form(f"id=ATXid_dda018a640edfcc5d2ce455de3e4a6e7&status={raw}"
                                  "&phoneNumber=%2B254711XXXYYY&networkCode=63902"))
    assert (report.provider_id, report.status, report.provider_status) == (
        "ATXid_dda018a640edfcc5d2ce455de3e4a6e7", ours, raw)
    assert report.opted_out_phone is None


def test_an_unknown_delivery_status_is_refused():
    with pytest.raises(BadPayload) as caught:
        AT.parse_report(form("id=ATXid_dda018a640edfcc5d2ce455de3e4a6e7&status=Borked"))
    assert caught.value.field == "status"


def test_a_blacklisted_failure_reports_an_opt_out():
    report = AT.parse_report(form(
        "id=ATXid_1&status=Failed&phoneNumber=%2B254711000111&networkCode=63902"
        "&failureReason=UserInBlackList&retryCount=0"))
    assert report.status == "failed"
    assert report.error == "UserInBlackList"
    assert report.opted_out_phone == "+254711000111"


def test_bulk_opt_out_notification_names_the_person():
    assert AT.parse_optout(form("senderId=DATASHIFT&phoneNumber=%2B254711000111")).phone == \
        "+254711000111"


def test_ussd_hops_carry_the_whole_history_and_the_newest_answer():
    first = AT.parse_ussd(form("sessionId=ATUid_5c4e&serviceCode=%2A384%2A1234%23"
                               "&phoneNumber=%2B254711000111&networkCode=63902&text="))
    assert (first.service_code, first.phone, first.answer, first.hop) == (
        "*384*1234#", "+254711000111", None, 0)
    later = AT.parse_ussd(form("sessionId=ATUid_5c4e&serviceCode=%2A384%2A1234%23"
                               "&phoneNumber=%2B254711000111&networkCode=63902&text=1%2A2%2A12"))
    assert (later.answer, later.hop, later.session_id) == ("12", 3, "ATUid_5c4e")


def test_callback_secrets_compare_exactly():
    assert secret_matches("s3cr3t-" * 6, "s3cr3t-" * 6)
    assert not secret_matches("s3cr3t-" * 6, "s3cr3t-" * 5)


def _sent_form(call) -> dict[str, list[str]]:
    return parse_qs(call.request.body)


@responses.activate
def test_send_posts_the_sdk_request_and_returns_the_message_id():
    responses.post(SEND_URL, json={"SMSMessageData": {
        "Message": "Sent to 1/1 Total Cost: KES 0.8000", "Recipients": [{
            "statusCode": 101, "number": "+254711000111", "status": "Success",
            "cost": "KES 0.8000", "messageId": "ATXid_abc123"}]}})
    result = AT.send(CREDS, "21512", "+254711000111", "Swali 1: Jina la kisima? ☺")
    assert (result.provider_id, result.status, result.provider_status) == (
        "ATXid_abc123", "accepted", "Success")
    call = responses.calls[0]
    assert call.request.method == "POST"
    assert call.request.url == SEND_URL
    assert call.request.headers["apiKey"] == "atsk_0123456789"
    assert call.request.headers["Accept"] == "application/json"
    assert _sent_form(call) == {"username": ["datashift"], "to": ["+254711000111"],
                                "message": ["Swali 1: Jina la kisima? ☺"],
                                "bulkSMSMode": ["1"], "from": ["21512"]}


@responses.activate
def test_a_shared_short_code_sends_without_from():
    responses.post(SEND_URL, json={"SMSMessageData": {"Recipients": [
        {"status": "Success", "statusCode": 101, "messageId": "1002"}]}})
    AT.send(CREDS, "21512", "+254711000111", "Hi", settings={"sharedShortCode": True})
    assert "from" not in _sent_form(responses.calls[0])


@responses.activate
def test_the_sandbox_username_goes_to_the_sandbox_host():
    responses.post("https://api.sandbox.africastalking.com/version1/messaging", json={
        "SMSMessageData": {"Recipients": [{"status": "Success", "statusCode": 101,
                                           "messageId": "ATXid_s"}]}})
    assert AT.send({"username": "sandbox", "apiKey": "k"}, "", "+254711000111",
                   "Hi").provider_id == "ATXid_s"


@pytest.mark.parametrize("recipient, retry, opted_out", [
    ({"statusCode": 403, "number": "+254711000111", "status": "InvalidPhoneNumber",
      "cost": "0", "messageId": "None"}, False, False),
    ({"statusCode": 406, "number": "+254711000111", "status": "UserInBlacklist",
      "cost": "0", "messageId": "None"}, False, True),
    ({"statusCode": 500, "number": "+254711000111", "status": "InternalServerError",
      "cost": "0", "messageId": "None"}, True, False),
    ({"status": "Failed"}, False, False),  # courier's "Explicit failed status"
])
@responses.activate
def test_a_2xx_can_still_refuse_the_recipient(recipient, retry, opted_out):
    responses.post(SEND_URL, json={"SMSMessageData": {"Message": "Sent to 0/1",
                                                      "Recipients": [recipient]}})
    with pytest.raises(SendFailed) as caught:
        AT.send(CREDS, "21512", "+254711000111", "Hi")
    assert (caught.value.retry, caught.value.opted_out, caught.value.ambiguous) == (
        retry, opted_out, False)


@responses.activate
def test_no_recipients_is_a_refusal():
    responses.post(SEND_URL, json={"SMSMessageData": {"Message": "InvalidSenderId",
                                                      "Recipients": []}})
    with pytest.raises(SendFailed) as caught:
        AT.send(CREDS, "NOTOURS", "+254711000111", "Hi")
    assert not caught.value.retry
    assert "InvalidSenderId" in caught.value.reason


@pytest.mark.parametrize("status, retry", [(401, False), (400, False), (429, True),
                                           (500, True), (503, True)])
@responses.activate
def test_http_errors_retry_only_on_5xx_and_429(status, retry):
    responses.post(SEND_URL, status=status, body=json.dumps({"error": "failed"}))
    with pytest.raises(SendFailed) as caught:
        AT.send(CREDS, "21512", "+254711000111", "Hi")
    assert caught.value.retry is retry
    assert not caught.value.ambiguous


REFUSED = refused_connection()  # made before `responses` intercepts every request


@responses.activate
def test_a_refused_connection_is_retried():
    responses.post(SEND_URL, body=REFUSED)
    with pytest.raises(SendFailed) as caught:
        AT.send(CREDS, "21512", "+254711000111", "Hi")
    assert caught.value.retry and not caught.value.ambiguous


@responses.activate
def test_a_read_timeout_is_never_retried():
    responses.post(SEND_URL, body=requests.ReadTimeout("read timed out"))
    with pytest.raises(SendFailed) as caught:
        AT.send(CREDS, "21512", "+254711000111", "Hi")
    assert caught.value.ambiguous and not caught.value.retry


def test_a_number_without_plus_is_refused_before_any_request():
    with responses.RequestsMock() as mock:  # any request would fail the test
        with pytest.raises(SendFailed):
            AT.send(CREDS, "21512", "254711000111", "Hi")
        assert len(mock.calls) == 0

"""Twilio WhatsApp: the payloads Twilio posts for a WhatsApp sender (text and a photo),
signatures made with the SDK's RequestValidator, the request `twilio.rest.Client` sends to a
`whatsapp:` address, and media downloaded from a local stub of Twilio's media endpoint."""
from __future__ import annotations

from urllib.parse import parse_qs

import pytest
import responses
from twilio.request_validator import RequestValidator

from sms_flows.providers.base import BadPayload
from sms_flows.providers.twilio import MediaRefused, Twilio
from tests.fixtures.twilio_media import JPEG, MEDIA_PATH, SID, TOKEN, MediaStub

TW = Twilio()
CREDS = {"accountSid": SID, "authToken": TOKEN}
SEND_URL = f"https://api.twilio.com/2010-04-01/Accounts/{SID}/Messages.json"

# As Twilio posts a WhatsApp message (fields of its webhook request, a Kenyan sender).
TEXT = {
    "SmsMessageSid": "SM5e0d1f0c2bd0d5c0e5a0b0d3c6c0e1f2", "NumMedia": "0",
    "ProfileName": "Amina", "MessageType": "text", "SmsSid": "SM5e0d1f0c2bd0d5c0e5a0b0d3c6c0e1f2",
    "WaId": "254700000002", "SmsStatus": "received", "Body": "MAJI",
    "To": "whatsapp:+14155238886", "NumSegments": "1", "ReferralNumMedia": "0",
    "MessageSid": "SM5e0d1f0c2bd0d5c0e5a0b0d3c6c0e1f2", "AccountSid": SID,
    "From": "whatsapp:+254700000002", "ApiVersion": "2010-04-01",
}
PHOTO = {
    **TEXT, "MessageType": "image", "Body": "", "NumMedia": "1",
    "SmsMessageSid": "MM125f1b50a72e6883df7a3a75bcc56cb6",
    "SmsSid": "MM125f1b50a72e6883df7a3a75bcc56cb6",
    "MessageSid": "MM125f1b50a72e6883df7a3a75bcc56cb6",
    "MediaContentType0": "image/jpeg", "MediaUrl0": "https://api.twilio.com" + MEDIA_PATH,
}


def test_a_whatsapp_message_is_read_with_its_whatsapp_addresses():
    message = TW.parse_inbound(TEXT)
    assert (message.sender, message.recipient, message.text, message.provider_id) == (
        "+254700000002", "whatsapp:+14155238886", "MAJI", "SM5e0d1f0c2bd0d5c0e5a0b0d3c6c0e1f2")
    assert message.media == ()


def test_a_photo_is_read_with_its_url_and_type():
    (photo,) = TW.parse_inbound(PHOTO).media
    assert (photo.url, photo.content_type) == (PHOTO["MediaUrl0"], "image/jpeg")
    assert photo.filename == "ME21a471363917430480386e702f566e43.jpg"


@pytest.mark.parametrize(("change", "field"), [
    ({"NumMedia": "2"}, "MediaUrl1"),
    ({"NumMedia": "one"}, "NumMedia"),
    ({"MediaUrl0": "file:///etc/passwd"}, "MediaUrl0"),
    ({"MediaContentType0": ""}, "MediaContentType0"),
])
def test_a_media_field_that_does_not_add_up_is_named(change, field):
    with pytest.raises(BadPayload) as caught:
        TW.parse_inbound({**PHOTO, **change})
    assert caught.value.field == field


def test_whatsapp_requests_are_signed_like_sms_and_checked_by_the_sdk():
    from sms_flows.providers.twilio import signature_valid

    url = "https://collect.example.org/webhooks/9/abc/inbound"
    signature = RequestValidator(TOKEN).compute_signature(url, PHOTO)
    assert signature_valid(TOKEN, url, PHOTO, signature)
    assert not signature_valid(TOKEN, url, {**PHOTO, "MediaUrl0": "https://evil.example"},
                               signature)


@pytest.mark.parametrize(("raw", "ours"), [("read", "delivered"), ("delivered", "delivered"),
                                           ("failed", "failed"), ("sent", "sent")])
def test_whatsapp_statuses_map_by_the_same_table(raw, ours):
    report = TW.parse_report({"MessageSid": "SM1", "MessageStatus": raw,
                              "To": "whatsapp:+254700000002"})
    assert report.status == ours


def test_outside_the_24_hour_session_twilio_reports_63016():
    report = TW.parse_report({"MessageSid": "SM1", "MessageStatus": "failed",
                              "ErrorCode": "63016", "To": "whatsapp:+254700000002"})
    assert (report.status, report.error, report.opted_out_phone) == ("failed", "63016", None)


@responses.activate
def test_send_to_a_whatsapp_address_through_the_sdk():
    responses.post(SEND_URL, status=201, json={"sid": "SM2001", "status": "queued"})
    text = "Je, kituo cha maji kinafanya kazi leo? 💧\n1. Ndiyo\n2. Hapana"
    result = TW.send(CREDS, "+14155238886", "+254700000002", text, kind="whatsapp",
                     status_callback="https://collect.example.org/webhooks/9/abc/status")
    assert (result.provider_id, result.status) == ("SM2001", "accepted")
    sent = parse_qs(responses.calls[0].request.body)
    assert sent["To"] == ["whatsapp:+254700000002"] and sent["From"] == ["whatsapp:+14155238886"]
    assert sent["Body"] == [text]  # emoji and all, as written
    TW.send(CREDS, "whatsapp:+14155238886", "+254700000002", "x", kind="whatsapp")
    assert parse_qs(responses.calls[1].request.body)["From"] == ["whatsapp:+14155238886"]


# --- media download against a local stub of Twilio's media endpoint ---------------------------


@pytest.fixture
def twilio_media():
    with MediaStub() as stub:
        yield stub


def test_media_is_downloaded_with_the_channels_credentials(twilio_media):
    media = TW.fetch_media(CREDS, twilio_media.url, max_bytes=1_000_000,
                           prefixes=twilio_media.prefixes)
    assert media.content == JPEG and media.content_type == "image/jpeg"
    (first, first_auth), (cdn, cdn_auth) = twilio_media.seen
    assert first == MEDIA_PATH and first_auth.startswith("Basic ")
    assert cdn == "/cdn/ME21a4.jpg" and cdn_auth is None  # credentials stay with Twilio


def test_wrong_credentials_are_refused_and_not_retried(twilio_media):
    with pytest.raises(MediaRefused) as caught:
        TW.fetch_media({"accountSid": SID, "authToken": "wrong"}, twilio_media.url,
                       max_bytes=1_000_000, prefixes=twilio_media.prefixes)
    assert "401" in caught.value.reason and not caught.value.retry


def test_media_over_the_limit_is_refused(twilio_media):
    with pytest.raises(MediaRefused, match="limit"):
        TW.fetch_media(CREDS, twilio_media.url, max_bytes=1000, prefixes=twilio_media.prefixes)


def test_a_provider_error_is_retried_later(twilio_media):
    twilio_media.failing = True
    with pytest.raises(MediaRefused) as caught:
        TW.fetch_media(CREDS, twilio_media.url, max_bytes=1000, prefixes=twilio_media.prefixes)
    assert caught.value.retry


def test_a_url_outside_twilio_is_never_fetched(twilio_media):
    with pytest.raises(MediaRefused, match="outside https://api.twilio.com/"):
        TW.fetch_media(CREDS, twilio_media.url, max_bytes=1000)
    assert twilio_media.seen == []

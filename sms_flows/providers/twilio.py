"""Twilio SMS: signed inbound messages and status callbacks; outbound through the SDK's Client."""
from __future__ import annotations

import base64
import binascii
import logging
import re
from collections.abc import Mapping
from typing import Any

import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from sms_flows.providers.base import (
    SEND_TIMEOUT,
    BadPayload,
    SendFailed,
    e164,
    http_failure,
    require,
    transport_failure,
)
from sms_flows.types import DeliveryReport, InboundMessage, SendResult

# MessageStatus → ours ("read" comes from WhatsApp-capable senders).
STATUSES: dict[str, str] = {
    "accepted": "accepted",
    "scheduled": "accepted",
    "queued": "accepted",
    "sending": "accepted",
    "sent": "sent",
    "delivered": "delivered",
    "read": "delivered",
    "undelivered": "failed",
    "failed": "failed",
    "canceled": "failed",
}
OPTED_OUT = 21610  # "Attempt to send to unsubscribed recipient"
_BASE64 = re.compile(r"^([a-zA-Z0-9+/=]{4})+$")
# The SDK logs each request's URL and headers at INFO; keep that out of the app's logs.
_quiet = logging.getLogger("sms_flows.providers.twilio.http")
_quiet.setLevel(logging.WARNING)


def decode_possible_base64(body: str) -> str:
    """Twilio sometimes delivers a concatenated SMS base64-encoded (courier's heuristic:
    60+ characters, a multiple of 4, no spaces, and mostly ASCII once decoded)."""
    stripped = body.replace("\r", "").replace("\n", "").strip()
    if len(stripped) < 60 or len(stripped) % 4 or not _BASE64.match(stripped[:-4]):
        return body
    try:
        raw = base64.b64decode(stripped, validate=True)
    except (binascii.Error, ValueError):
        return body
    decoded = raw.decode("utf-8", errors="ignore")
    if not decoded or sum(c <= "\x7f" for c in decoded) / len(decoded) < 0.5:
        return body
    return decoded


def signature_valid(auth_token: str, url: str, form: Any, signature: str | None) -> bool:
    """`X-Twilio-Signature` checked by the SDK against the public URL Twilio called."""
    if not signature:
        return False
    return RequestValidator(auth_token).validate(url, form, signature)


class Twilio:
    """Twilio Programmable Messaging (SMS)."""

    name = "twilio"
    kinds = ("sms",)
    credential_fields = ("accountSid", "authToken")
    hooks = ("status",)

    def parse_inbound(self, form: Mapping[str, str]) -> InboundMessage:
        """An incoming message: MessageSid, From, To, Body, NumSegments..."""
        sid, sender, to = require(form, "MessageSid", "From", "To")
        segments = form.get("NumSegments")
        return InboundMessage(
            sender=e164(sender, "From"), recipient=to,
            text=decode_possible_base64(form.get("Body") or ""), provider_id=sid,
            segments=int(segments) if segments and segments.isdigit() else None)

    def parse_report(self, form: Mapping[str, str]) -> DeliveryReport | None:
        """A status callback; None when it carries no status (courier ignores those too)."""
        if not form.get("MessageSid") or not form.get("MessageStatus"):
            return None
        raw = form["MessageStatus"]
        status = STATUSES.get(raw)
        if status is None:
            raise BadPayload("MessageStatus", f"unknown status {raw!r}")
        code = form.get("ErrorCode") or None
        opted_out = None
        if code == str(OPTED_OUT) and form.get("To"):
            opted_out = e164(form["To"], "To")
        return DeliveryReport(provider_id=form["MessageSid"], status=status, provider_status=raw,
                              error=code, opted_out_phone=opted_out)

    def send(self, credentials: Mapping[str, str], sender: str, to: str, text: str, *,
             status_callback: str | None = None,
             settings: Mapping[str, Any] | None = None) -> SendResult:
        """Send one SMS with `twilio.rest.Client` over an HTTP client that has a timeout."""
        settings = settings or {}
        http = TwilioHttpClient(timeout=SEND_TIMEOUT[1], logger=_quiet)
        client = Client(credentials["accountSid"], credentials["authToken"],
                        http_client=http, environment={})
        params: dict[str, Any] = {"to": to, "body": text}
        if settings.get("messagingServiceSid"):
            params["messaging_service_sid"] = settings["messagingServiceSid"]
        else:
            params["from_"] = sender
        if status_callback:
            params["status_callback"] = status_callback
        try:
            message = client.messages.create(**params)
        except TwilioRestException as error:
            if error.code == OPTED_OUT:
                raise SendFailed(f"Twilio {OPTED_OUT}: recipient unsubscribed", opted_out=True,
                                 provider_status=str(OPTED_OUT)) from None
            raise http_failure(error.status, f"Twilio {error.code}: {error.msg}",
                               provider_status=str(error.code)) from None
        except requests.RequestException as error:
            raise transport_failure(error) from None
        return SendResult(provider_id=message.sid, status=STATUSES.get(
            str(message.status), "accepted"), provider_status=str(message.status))

"""Twilio SMS and WhatsApp: signed inbound messages and status callbacks; outbound through the
SDK's Client.

A WhatsApp sender is the same Twilio account and webhooks; its addresses are written
`whatsapp:+14155238886`. Inbound WhatsApp messages may carry media (NumMedia, MediaUrlN,
MediaContentTypeN): `fetch_media` downloads them with the channel's credentials."""
from __future__ import annotations

import base64
import binascii
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from sms_flows.providers.base import (
    SEND_TIMEOUT,
    BadPayload,
    MediaRefused,
    SendFailed,
    e164,
    http_failure,
    require,
    transport_failure,
)
from sms_flows.types import (
    DeliveryReport,
    InboundMedia,
    InboundMessage,
    MessageStatus,
    SendResult,
)

# Twilio's MessageStatus → ours ("read" comes from WhatsApp-capable senders).
STATUSES: dict[str, str] = {
    "accepted": MessageStatus.ACCEPTED,
    "scheduled": MessageStatus.ACCEPTED,
    "queued": MessageStatus.ACCEPTED,
    "sending": MessageStatus.ACCEPTED,
    "sent": MessageStatus.SENT,
    "delivered": MessageStatus.DELIVERED,
    "read": MessageStatus.DELIVERED,
    "undelivered": MessageStatus.FAILED,
    "failed": MessageStatus.FAILED,
    "canceled": MessageStatus.FAILED,
}
OPTED_OUT = 21610  # "Attempt to send to unsubscribed recipient"
# WhatsApp: free text outside the 24-hour session (a template is needed); failed sends.
OUTSIDE_SESSION = 63016
WHATSAPP = "whatsapp:"
MAX_MEDIA = 10  # Twilio forwards at most ten media items per message
# Where media may be fetched from: Twilio's API (it redirects to its CDN, over https).
MEDIA_PREFIXES = ("https://api.twilio.com/",)
_MAX_REDIRECTS = 3


@dataclass(frozen=True)
class Media:
    """A downloaded media item."""

    content: bytes
    content_type: str
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


def whatsapp_address(number: str) -> str:
    """ "+14155238886" or "whatsapp:+14155238886" -> "whatsapp:+14155238886"."""
    return number if number.startswith(WHATSAPP) else WHATSAPP + number


def _media(form: Mapping[str, str]) -> tuple[InboundMedia, ...]:
    count = form.get("NumMedia") or "0"
    if not count.isdigit():
        raise BadPayload("NumMedia", f"not a number: {count!r}")
    items = []
    for index in range(min(int(count), MAX_MEDIA)):
        url, content_type = require(form, f"MediaUrl{index}", f"MediaContentType{index}")
        if not url.startswith(("https://", "http://")):
            raise BadPayload(f"MediaUrl{index}", "not an http(s) URL")
        items.append(InboundMedia(url=url, content_type=content_type))
    return tuple(items)


class Twilio:
    """Twilio Programmable Messaging: SMS, and WhatsApp through a Twilio WhatsApp sender."""

    name = "twilio"
    kinds = ("sms", "whatsapp")
    credential_fields = ("accountSid", "authToken")
    hooks = ("status",)

    def parse_inbound(self, form: Mapping[str, str]) -> InboundMessage:
        """An incoming message: MessageSid, From, To, Body, NumSegments, and on WhatsApp
        `whatsapp:` addresses and any media."""
        sid, sender, to = require(form, "MessageSid", "From", "To")
        segments = form.get("NumSegments")
        return InboundMessage(
            sender=e164(sender.removeprefix(WHATSAPP), "From"), recipient=to,
            text=decode_possible_base64(form.get("Body") or ""), provider_id=sid,
            segments=int(segments) if segments and segments.isdigit() else None,
            media=_media(form))

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
            opted_out = e164(form["To"].removeprefix(WHATSAPP), "To")
        return DeliveryReport(provider_id=form["MessageSid"], status=status, provider_status=raw,
                              error=code, opted_out_phone=opted_out)

    def send(self, credentials: Mapping[str, str], sender: str, to: str, text: str, *,
             status_callback: str | None = None,
             settings: Mapping[str, Any] | None = None, kind: str = "sms") -> SendResult:
        """Send one SMS or WhatsApp message with `twilio.rest.Client` over an HTTP client
        that has a timeout."""
        settings = settings or {}
        http = TwilioHttpClient(timeout=SEND_TIMEOUT[1], logger=_quiet)
        client = Client(credentials["accountSid"], credentials["authToken"],
                        http_client=http, environment={})
        whatsapp = kind == "whatsapp"
        params: dict[str, Any] = {"to": whatsapp_address(to) if whatsapp else to,
                                  "body": text}
        if settings.get("messagingServiceSid"):
            params["messaging_service_sid"] = settings["messagingServiceSid"]
        else:
            params["from_"] = whatsapp_address(sender) if whatsapp else sender
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
            str(message.status), MessageStatus.ACCEPTED), provider_status=str(message.status))

    def fetch_media(self, credentials: Mapping[str, str], url: str, *, max_bytes: int,
                    prefixes: Sequence[str] = MEDIA_PREFIXES) -> Media:
        """Download a MediaUrl with the account's credentials (Twilio's "HTTP auth on media
        URLs"). The URL must start with one of `prefixes`; Twilio answers with a redirect
        to its CDN, followed over https only and without the credentials; at most
        `max_bytes` are read (MediaRefused beyond, or on any failure: retry later)."""
        if not url.startswith(tuple(prefixes)):
            raise MediaRefused(f"media URL outside {', '.join(prefixes)}")
        auth: tuple[str, str] | None = (credentials["accountSid"], credentials["authToken"])
        origin = urlsplit(url).netloc
        for _ in range(_MAX_REDIRECTS + 1):
            try:
                response = requests.get(url, auth=auth, stream=True, allow_redirects=False,
                                        timeout=SEND_TIMEOUT)
            except requests.RequestException as error:
                raise MediaRefused(f"media download failed: {error.__class__.__name__}",
                                   retry=True) from None
            with response:
                if response.is_redirect:
                    url = urljoin(url, response.headers["Location"])
                    if not url.startswith("https://") and not url.startswith(tuple(prefixes)):
                        raise MediaRefused("media redirected to a non-https URL")
                    if urlsplit(url).netloc != origin:
                        auth = None  # the credentials are for Twilio, not its CDN
                    continue
                if response.status_code != 200:
                    raise MediaRefused(f"media download: HTTP {response.status_code}",
                                       retry=response.status_code >= 500
                                       or response.status_code == 429)
                return Media(_read(response, max_bytes),
                             response.headers.get("Content-Type", "application/octet-stream"))
        raise MediaRefused("media download: too many redirects")


def _read(response: requests.Response, max_bytes: int) -> bytes:
    declared = response.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise MediaRefused(f"media of {declared} bytes is over the {max_bytes}-byte limit")
    chunks, size = [], 0
    for chunk in response.iter_content(64 * 1024):
        size += len(chunk)
        if size > max_bytes:
            raise MediaRefused(f"media over the {max_bytes}-byte limit")
        chunks.append(chunk)
    return b"".join(chunks)

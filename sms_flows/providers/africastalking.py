"""Africa's Talking: SMS in and out, delivery reports, bulk opt-outs, USSD hops.

AT signs nothing, so the app puts a long random per-channel secret in each callback URL and
compares it in constant time (`secret_matches`). Outbound goes through the official SDK.
"""
from __future__ import annotations

import hmac
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import requests
from africastalking.SMS import SMSService

from sms_flows.providers.base import (
    SEND_TIMEOUT,
    BadPayload,
    SendFailed,
    e164,
    http_failure,
    require,
    transport_failure,
)
from sms_flows.types import (
    DeliveryReport,
    InboundMessage,
    MessageStatus,
    OptOut,
    SendResult,
    UssdRequest,
)

# Delivery report `status` → ours. "Expired" is undocumented but sent (courier maps it too).
REPORT_STATUSES: dict[str, str] = {
    "Sent": MessageStatus.SENT,
    "Submitted": MessageStatus.SENT,
    "Buffered": MessageStatus.SENT,
    "Success": MessageStatus.DELIVERED,
    "Rejected": MessageStatus.FAILED,
    "Failed": MessageStatus.FAILED,
    "Expired": MessageStatus.FAILED,
}

# A recipient's `statusCode` in the send response: 100–102 taken; the rest refused.
# (status, retry): only AT's own 500/501 for that recipient mean "not taken, try again".
RECIPIENT_CODES: dict[int, tuple[str, bool]] = {
    100: ("Processed", False),
    101: ("Sent", False),
    102: ("Queued", False),
    401: ("RiskHold", False),
    402: ("InvalidSenderId", False),
    403: ("InvalidPhoneNumber", False),
    404: ("UnsupportedNumberType", False),
    405: ("InsufficientBalance", False),
    406: ("UserInBlacklist", False),
    407: ("CouldNotRoute", False),
    409: ("DoNotDisturbRejection", False),
    500: ("InternalServerError", True),
    501: ("GatewayError", True),
    502: ("RejectedByGateway", False),
}
_TAKEN = {100, 101, 102}
_OPTED_OUT_CODE = 406
_OPTED_OUT_REASON = "UserInBlackList"
_DATE_FORMATS = ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d %H:%M:%S")


def secret_matches(expected: str, given: str) -> bool:
    """Constant-time comparison of a callback URL's secret."""
    return hmac.compare_digest(expected.encode(), given.encode())


def _parse_date(raw: str) -> datetime:
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(raw, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise BadPayload("date", f"invalid date format {raw!r}")


class _SMS(SMSService):
    """The SDK's SMS service, keeping the HTTP response: the SDK turns every non-2xx into one
    exception holding only the body, and we must tell 5xx/429 (retry) from a refusal."""

    def _make_request(self, url, method, headers, data, params, callback=None,
                      timeout=SEND_TIMEOUT):
        return requests.request(method, url, headers=headers, params=params, data=data,
                                timeout=timeout)


class AfricasTalking:
    """Africa's Talking SMS and USSD."""

    name = "africastalking"
    kinds = ("sms", "ussd")
    credential_fields = ("username", "apiKey")
    hooks = ("delivery", "optout")

    def parse_inbound(self, form: Mapping[str, str]) -> InboundMessage:
        """An incoming SMS callback (form fields from, to, text, date, id, linkId...)."""
        provider_id, sender, to, date = require(form, "id", "from", "to", "date")
        if "text" not in form:
            raise BadPayload("text")
        return InboundMessage(
            sender=e164(sender, "from"), recipient=to, text=form["text"],
            provider_id=provider_id, received_at=_parse_date(date),
            link_id=form.get("linkId") or None, network_code=form.get("networkCode") or None)

    def parse_report(self, form: Mapping[str, str]) -> DeliveryReport:
        """A delivery report: id, status, phoneNumber, networkCode, failureReason."""
        provider_id, raw = require(form, "id", "status")
        status = REPORT_STATUSES.get(raw)
        if status is None:
            raise BadPayload("status", f"unknown status {raw!r}")
        reason = form.get("failureReason") or None
        opted_out = None
        if reason == _OPTED_OUT_REASON and form.get("phoneNumber"):
            opted_out = e164(form["phoneNumber"], "phoneNumber")
        return DeliveryReport(provider_id=provider_id, status=status, provider_status=raw,
                              error=reason, opted_out_phone=opted_out)

    def parse_optout(self, form: Mapping[str, str]) -> OptOut:
        """The bulk SMS opt-out notification: senderId, phoneNumber."""
        (phone,) = require(form, "phoneNumber")
        return OptOut(phone=e164(phone, "phoneNumber"))

    def parse_ussd(self, form: Mapping[str, str]) -> UssdRequest:
        """One USSD hop; `text` is "" on dialling, then every answer so far joined by `*`."""
        session_id, service_code, phone = require(form, "sessionId", "serviceCode",
                                                  "phoneNumber")
        return UssdRequest(session_id=session_id, service_code=service_code,
                           phone=e164(phone, "phoneNumber"), text=form.get("text") or "",
                           network_code=form.get("networkCode") or None)

    def send(self, credentials: Mapping[str, str], sender: str, to: str, text: str, *,
             status_callback: str | None = None,
             settings: Mapping[str, Any] | None = None, kind: str = "sms") -> SendResult:
        """Send one SMS with the SDK; the delivery URL is set in AT's dashboard, not here."""
        settings = settings or {}
        service = _SMS(credentials["username"], credentials["apiKey"])
        # A shared short code belongs to AT; sending "from" it is refused (courier's is_shared).
        sender_id = None if settings.get("sharedShortCode") else (sender or None)
        try:
            response = service.send(text, [to], sender_id=sender_id, timeout=SEND_TIMEOUT)
        except ValueError as error:  # the SDK refuses numbers that are not E.164 with "+"
            raise SendFailed(str(error)) from None
        except requests.RequestException as error:
            raise transport_failure(error) from None
        if not 200 <= response.status_code < 300:
            raise http_failure(response.status_code, response.text)
        return _recipient_result(response.text)


def _recipient_result(body: str) -> SendResult:
    """A 2xx still says per recipient whether AT took the message."""
    try:
        data = json.loads(body)
        recipients = data["SMSMessageData"]["Recipients"]
    except (ValueError, KeyError, TypeError):
        raise SendFailed(f"unreadable response: {body[:200]}") from None
    if not recipients:
        message = str(data["SMSMessageData"].get("Message", ""))
        raise SendFailed(f"no recipient accepted: {message}"[:500], provider_status=message)
    recipient = recipients[0]
    raw_status = str(recipient.get("status", ""))
    code = recipient.get("statusCode")
    code = int(code) if str(code).isdigit() else None
    if code in _TAKEN or (code is None and raw_status == "Success"):
        message_id = recipient.get("messageId")
        return SendResult(provider_id=str(message_id) if message_id else None,
                          status=MessageStatus.ACCEPTED, provider_status=raw_status)
    _, retry = RECIPIENT_CODES.get(code or 0, (raw_status, False))
    raise SendFailed(f"recipient refused: {raw_status} ({code})", retry=retry,
                     opted_out=code == _OPTED_OUT_CODE, provider_status=raw_status)

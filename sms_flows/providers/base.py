"""The one interface every SMS/USSD provider module implements, its errors, and shared helpers."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import phonenumbers
import requests
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from sms_flows.types import DeliveryReport, InboundMessage, SendResult

# Connect 3 s, read 10 s: Twilio gives a webhook 15 s and we may send inline without Redis.
SEND_TIMEOUT: tuple[float, float] = (3.05, 10.0)


class ProviderError(Exception):
    """A provider-level problem, with a stable code."""

    code = "provider.error"


class BadPayload(ProviderError):
    """A callback is missing a field or holds a value we cannot read."""

    code = "provider.bad_payload"

    def __init__(self, field: str, reason: str = "missing"):
        super().__init__(f"field {field!r}: {reason}")
        self.field = field
        self.reason = reason


class SendFailed(ProviderError):
    """The provider did not take a message.

    `retry` only when it surely did not (no connection was made, 5xx, 429); `ambiguous`
    when it may have (a read timeout, a dropped connection): never retried automatically.
    """

    code = "provider.send_failed"

    def __init__(self, reason: str, *, retry: bool = False, ambiguous: bool = False,
                 opted_out: bool = False, provider_status: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.retry = retry
        self.ambiguous = ambiguous
        self.opted_out = opted_out
        self.provider_status = provider_status


class MediaRefused(SendFailed):
    """A media URL we will not fetch, or a download that failed or was too large (`retry`:
    a later try may succeed)."""

    code = "provider.media_refused"


class Provider(Protocol):
    """One provider behind one interface (pure: the app passes credentials in)."""

    name: str
    kinds: tuple[str, ...]  # which channel kinds it serves: "sms", "ussd", "whatsapp"
    credential_fields: tuple[str, ...]  # JSON names the API takes, e.g. ("username", "apiKey")
    hooks: tuple[str, ...]  # webhook names besides "inbound": "delivery", "status", "optout"

    def parse_inbound(self, form: Mapping[str, str]) -> InboundMessage: ...

    def parse_report(self, form: Mapping[str, str]) -> DeliveryReport | None: ...

    def send(self, credentials: Mapping[str, str], sender: str, to: str, text: str, *,
             status_callback: str | None = None,
             settings: Mapping[str, Any] | None = None, kind: str = "sms") -> SendResult: ...


def require(form: Mapping[str, str], *names: str) -> list[str]:
    """The named fields' values; BadPayload for the first missing one."""
    values = []
    for name in names:
        value = form.get(name)
        if value is None or value == "":
            raise BadPayload(name)
        values.append(value)
    return values


def e164(raw: str, field: str = "phone", region: str | None = None) -> str:
    """A number in E.164 with "+", or BadPayload (a sender "MTN" is not a person)."""
    try:
        number = phonenumbers.parse(raw.strip(), region)
    except phonenumbers.NumberParseException:
        raise BadPayload(field, "not a phone number") from None
    if not phonenumbers.is_possible_number(number):
        raise BadPayload(field, "not a possible phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def http_failure(status: int, reason: str, provider_status: str | None = None) -> SendFailed:
    """A refusal over HTTP: 5xx and 429 mean the message was not taken, so retry."""
    retry = status >= 500 or status == 429
    return SendFailed(f"HTTP {status}: {reason}"[:500], retry=retry,
                      provider_status=provider_status)


def transport_failure(error: requests.RequestException) -> SendFailed:
    """A failure below HTTP: retry only when no connection was ever made."""
    if _never_connected(error):
        return SendFailed(f"no connection: {error.__class__.__name__}", retry=True)
    # A read timeout or a connection dropped after the request went out: the provider may
    # have the message. Retrying could text the person twice, so a human decides (resend).
    return SendFailed(f"outcome unknown: {error.__class__.__name__}", ambiguous=True)


def _never_connected(error: BaseException) -> bool:
    """Whether the error chain shows the TCP connection never opened (refused, DNS, connect
    timeout), so no byte of the request reached the provider."""
    seen: set[int] = set()
    stack: list[Any] = [error]
    while stack:
        item = stack.pop()
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, NewConnectionError | ConnectTimeoutError):
            return True
        if isinstance(item, BaseException):
            stack.extend([item.__cause__, item.__context__, getattr(item, "reason", None)])
            stack.extend(a for a in item.args if isinstance(a, BaseException))
    return False

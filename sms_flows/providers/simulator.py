"""The simulator: a channel with no provider, for a coordinator to try a survey and for tests.

Nothing leaves the server: replies are handed back to the caller of the simulate endpoint.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sms_flows.providers.base import BadPayload, e164, require
from sms_flows.types import DeliveryReport, InboundMessage, MessageStatus, SendResult


class Simulator:
    """A provider that delivers nothing and reports every reply as delivered."""

    name = "simulator"
    kinds = ("sms", "ussd", "whatsapp")
    credential_fields: tuple[str, ...] = ()
    hooks: tuple[str, ...] = ()

    def parse_inbound(self, form: Mapping[str, Any]) -> InboundMessage:
        """`{"from": "+254700000001", "text": "MAJI"}` as the simulate endpoint takes it."""
        (sender,) = require(form, "from")
        text = form.get("text")
        if not isinstance(text, str):
            raise BadPayload("text")
        return InboundMessage(sender=e164(str(sender), "from"), recipient="", text=text,
                              provider_id="")

    def parse_report(self, form: Mapping[str, str]) -> DeliveryReport | None:
        """The simulator sends no reports."""
        return None

    def send(self, credentials: Mapping[str, str], sender: str, to: str, text: str, *,
             status_callback: str | None = None,
             settings: Mapping[str, Any] | None = None, kind: str = "sms") -> SendResult:
        """Nothing to send: the reply is already in the simulate response."""
        return SendResult(provider_id=None, status=MessageStatus.DELIVERED,
                          provider_status="simulated")

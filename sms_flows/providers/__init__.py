"""One module per SMS/USSD provider behind one interface (base.Provider); the registry."""
from __future__ import annotations

from sms_flows.providers.africastalking import AfricasTalking
from sms_flows.providers.base import (
    BadPayload,
    MediaRefused,
    Provider,
    ProviderError,
    SendFailed,
)
from sms_flows.providers.simulator import Simulator
from sms_flows.providers.twilio import Twilio

PROVIDERS: dict[str, Provider] = {
    "africastalking": AfricasTalking(),
    "twilio": Twilio(),
    "simulator": Simulator(),
}


def get_provider(name: str) -> Provider:
    """The provider registered under `name` (KeyError for an unknown one)."""
    return PROVIDERS[name]


__all__ = ["PROVIDERS", "BadPayload", "MediaRefused", "Provider", "ProviderError", "SendFailed",
           "get_provider"]

"""What the SMS/USSD plumbing and the conversation engine exchange: messages, statuses, the seam.

Pure: no Flask, no database. Providers produce `InboundMessage`, `UssdRequest`,
`DeliveryReport` and `OptOut`; the app turns them into rows and asks a `ConversationEngine`
what to answer.
"""
from __future__ import annotations

import mimetypes
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

MEDIUMS = ("sms", "ussd", "whatsapp")


class ConversationStatus(StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"
    EXPIRED = "expired"  # idle too long; kept, resumable
    OPTED_OUT = "opted-out"
    DECLINED = "declined"  # the person declined a consent question; nothing they sent is kept


CONVERSATION_STATUSES: tuple[str, ...] = tuple(s.value for s in ConversationStatus)


class MessageStatus(StrEnum):
    """A message's status: inbound ones are RECEIVED (or THROTTLED), outbound ones move on.
    SENDING left behind by a dead worker and UNKNOWN (the provider may or may not have taken
    it: a read timeout) are never retried automatically."""

    RECEIVED = "received"
    QUEUED = "queued"
    SENDING = "sending"
    UNKNOWN = "unknown"
    ACCEPTED = "accepted"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    THROTTLED = "throttled"


MESSAGE_STATUSES: tuple[str, ...] = tuple(s.value for s in MessageStatus)
# Outbound messages whose text is still to go out.
UNSENT: tuple[str, ...] = (MessageStatus.QUEUED, MessageStatus.SENDING)
# A status never moves backwards: callbacks arrive out of order (Twilio's especially).
# Equal ranks do not replace each other (the first final word wins).
STATUS_RANK: dict[str, int] = {
    MessageStatus.RECEIVED: 0, MessageStatus.QUEUED: 0,
    MessageStatus.SENDING: 1, MessageStatus.UNKNOWN: 1,
    MessageStatus.ACCEPTED: 2, MessageStatus.SENT: 3,
    MessageStatus.DELIVERED: 4, MessageStatus.FAILED: 4, MessageStatus.THROTTLED: 4,
}


def advances(current: str, new: str) -> bool:
    """Whether `new` may replace `current` (a report never takes a message back)."""
    return STATUS_RANK[new] > STATUS_RANK[current]


@dataclass(frozen=True)
class InboundMedia:
    """A photo, voice note or video sent with a message (WhatsApp), held by the provider."""

    url: str
    content_type: str

    @property
    def filename(self) -> str:
        """The attachment's name in the instance: the URL's last step (the provider's media
        id) with the content type's extension, e.g. "ME0123....jpg"."""
        stem = self.url.rstrip("/").rsplit("/", 1)[-1].split("?")[0] or "media"
        extension = mimetypes.guess_extension(self.content_type.split(";")[0].strip()) or ""
        return stem if stem.endswith(extension) else stem + extension


# C0 and C1 control characters (NUL among them: PostgreSQL refuses it in text) and DEL;
# tab and line breaks are kept, as people do type them.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """The text without control characters (a message is stored cleaned, never refused)."""
    return _CONTROL.sub("", text) if text else text


@dataclass(frozen=True)
class InboundMessage:
    """One text a person sent to a channel, as the provider reported it."""

    sender: str  # E.164 with "+"
    recipient: str  # our short code or number, as the provider wrote it
    text: str
    provider_id: str
    received_at: datetime | None = None
    link_id: str | None = None
    network_code: str | None = None
    segments: int | None = None
    media: tuple[InboundMedia, ...] = ()


@dataclass(frozen=True)
class UssdRequest:
    """One USSD hop: `text` is every answer of the session so far, joined by `*`."""

    session_id: str
    service_code: str
    phone: str  # E.164 with "+"
    text: str
    network_code: str | None = None

    @property
    def answer(self) -> str | None:
        """The newest answer, or None on the first hop (the person just dialled)."""
        if self.text == "":
            return None
        return self.text.split("*")[-1]

    @property
    def hop(self) -> int:
        """How many answers the session holds (0 on dialling): identifies this request."""
        return 0 if self.text == "" else len(self.text.split("*"))


@dataclass(frozen=True)
class DeliveryReport:
    """A provider's news about one outbound message."""

    provider_id: str
    status: str  # a MessageStatus
    provider_status: str
    error: str | None = None
    opted_out_phone: str | None = None  # set when the report says the person opted out


@dataclass(frozen=True)
class OptOut:
    """A person asked the provider to stop messages from us."""

    phone: str


@dataclass(frozen=True)
class SendResult:
    """The provider took the message."""

    provider_id: str | None
    status: str  # MessageStatus.ACCEPTED or .SENT
    provider_status: str


# --- the seam between the plumbing (app/services/conversations.py) and the engine ----------


@dataclass(frozen=True)
class StartContext:
    """What the engine needs to know about the person and the channel when a survey starts."""

    medium: str  # "sms" | "ussd" | "whatsapp"
    text: str  # the message that opened the survey ("MAJI", or a whole compact-mode message)
    phone: str  # for the `phonenumber` metadata: the keyed hash unless the project allows E.164
    language: str | None = None  # the person's last chosen language, if any
    settings: Mapping[str, Any] = field(default_factory=dict)  # channel + project SMS settings
    commands: Mapping[str, Any] | None = None  # the project's `smsCommands` (keywords.py)
    # The project's other SMS keywords (folded keyword → xmlFormId), so that a keyword for
    # another form mid-survey can be asked about; see ConversationState.switch_to.
    form_keywords: Mapping[str, str] = field(default_factory=dict)


class ConversationState(Protocol):
    """The engine's state of one survey with one person; the app stores `to_json()`."""

    status: str  # a ConversationStatus
    language: str | None
    instance_xml: str | None  # the finished instance once status == "completed"; a
    # "declined" state (a consent question declined) holds no answers and no instance
    # Optional attributes the app reads with getattr:
    #   switch_to: str | None — an xmlFormId the person confirmed switching to; the app keeps
    #     this survey as an expired partial and starts that form.
    #   submission_channel: str | None — "compact" when the survey came in one compact message.
    #   media: dict[str, dict] — WhatsApp media that answered questions: the file name the
    #     instance holds -> {"url", "contentType"}, for the app to download and attach.

    def to_json(self) -> dict[str, Any]: ...


class ConversationEngine(Protocol):
    """The conversation engine as the app calls it (sms_flows/engine.py implements it).

    For USSD the app answers each hop with one screen: the replies joined by newlines,
    prefixed `CON ` while the state is active and `END ` otherwise, unless a reply already
    starts with `CON ` or `END `.
    """

    def parse_form(self, xml: str, settings: Mapping[str, Any] | None = None) -> Any:
        """The form model for a published version's XForm, with the version's conversation
        settings when it has any (forms.settings; the app passes them only then, and caches
        the model per version and settings)."""
        ...

    def start(self, form_model: Any, context: StartContext,
              now: datetime) -> tuple[ConversationState, list[str]]:
        """A new survey: its state and the first replies (usually the first question)."""
        ...

    def step(self, state: ConversationState, inbound_text: str, now: datetime,
             media: Sequence[InboundMedia] = ()) -> tuple[ConversationState, list[str]]:
        """One answer or command in (with any media it carried), the new state and the
        replies out."""
        ...

    def resume(self, state: ConversationState,
               now: datetime) -> tuple[ConversationState, list[str]]:
        """Ask again where the person stopped: a USSD session cut by the network and redialled,
        START after an opt-out, or a text after the survey expired. Returns an active state."""
        ...

    def tick(self, state: ConversationState,
             now: datetime) -> tuple[ConversationState, list[str]]:
        """Called periodically for an idle active SMS survey: return a reminder (once), or
        the state with status "expired" (kept, resumable), or the state unchanged and []."""
        ...

    def resumable(self, state: ConversationState, now: datetime) -> bool:
        """Whether an open survey may be picked up now (a USSD redial after the channel's
        resume window starts a new survey instead)."""
        ...

    def load(self, data: Mapping[str, Any], form_model: Any) -> ConversationState:
        """A state back from `to_json()` output."""
        ...

"""One survey with one person, as the engine keeps it between messages (JSON-serialisable)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from forms.model import FormModel
from sms_flows.types import ConversationStatus

_DEFAULTS: dict[str, Any] = {
    "max_attempts": 3,  # invalid answers before an optional question is skipped
    "remind_after": 3600,  # seconds idle before the one reminder
    "expire_after": 86400,  # seconds idle (after the reminder) before the survey expires
    "segments": 2,  # SMS parts one reply may take
    "lookalikes": False,  # replace á ó ” ... with GSM-7 look-alikes
    "compact": True,  # accept the whole form in one message
    "resume_window": 600,  # seconds a dropped USSD session may be continued after
}
_ALIASES = {"maxAttempts": "max_attempts", "remindAfter": "remind_after",
            "expireAfter": "expire_after", "segmentBudget": "segments",
            "segment_budget": "segments", "gsmLookalikes": "lookalikes",
            "gsm_lookalikes": "lookalikes", "compactMode": "compact", "compact_mode": "compact",
            "resumeWindow": "resume_window"}


def engine_settings(settings: Mapping[str, Any] | None) -> dict[str, Any]:
    """The engine's settings from a channel/project settings mapping (snake or camelCase)."""
    out = dict(_DEFAULTS)
    for key, value in (settings or {}).items():
        name = _ALIASES.get(key, key)
        if name in _DEFAULTS and value is not None:
            if isinstance(_DEFAULTS[name], bool):
                out[name] = value is True or str(value).lower() in ("true", "1", "yes")
            else:
                out[name] = int(value)
    return out


def utc(now: datetime) -> datetime:
    """An aware UTC datetime (a naive one is taken as UTC)."""
    return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)


@dataclass
class State:
    """The engine's state: answers by indexed path, where the person is, and why."""

    model: FormModel
    medium: str
    status: str = ConversationStatus.ACTIVE
    language: str | None = None  # a language code ("sw") or an untagged itext name
    instance_xml: str | None = None
    instance_id: str = ""
    answers: dict[str, str] = field(default_factory=dict)
    repeats: dict[str, int] = field(default_factory=dict)
    at: str | None = None  # the current event key; None before the first question
    page: int = 0
    attempts: int = 0
    pending: str | None = None  # "language" | "switch" | "resume"
    switch_form: str | None = None  # the other form (xmlFormId) awaiting yes/no
    switch_to: str | None = None  # set when the person agreed: the app starts this form
    form_keywords: dict[str, str] = field(default_factory=dict)  # folded keyword -> form id
    submission_channel: str | None = None  # "compact" when one message held the survey
    keyword: str = ""
    started: str = ""
    last: str = ""
    reminded: bool = False
    settings: dict[str, Any] = field(default_factory=dict)
    commands: dict[str, Any] | None = None
    # WhatsApp media that answered questions: file name in the instance -> {url, contentType}
    media: dict[str, dict[str, str]] = field(default_factory=dict)

    _FIELDS = ("medium", "status", "language", "instance_xml", "instance_id", "answers",
               "repeats", "at", "page", "attempts", "pending", "switch_form", "switch_to",
               "form_keywords", "submission_channel", "keyword", "started", "last", "reminded",
               "settings", "commands", "media")

    def to_json(self) -> dict[str, Any]:
        """What the app stores (plain JSON types only)."""
        data = {name: getattr(self, name) for name in self._FIELDS}
        data["v"] = 1
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any], model: FormModel) -> State:
        """A state back from `to_json()` output."""
        kwargs = {name: data[name] for name in cls._FIELDS if name in data}
        kwargs["answers"] = dict(kwargs.get("answers") or {})
        kwargs["media"] = dict(kwargs.get("media") or {})
        kwargs["repeats"] = {k: int(v) for k, v in (kwargs.get("repeats") or {}).items()}
        kwargs["settings"] = engine_settings(kwargs.get("settings"))
        return cls(model=model, **kwargs)

    def touch(self, now: datetime) -> None:
        """Record the person's activity (a reminder may follow the next idle spell)."""
        self.last = utc(now).isoformat()
        self.reminded = False

    def idle(self, now: datetime) -> float:
        """Seconds since the person last wrote."""
        if not self.last:
            return 0.0
        return (utc(now) - datetime.fromisoformat(self.last)).total_seconds()

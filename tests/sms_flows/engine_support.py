"""Helpers for the conversation-engine tests: fixture forms compiled once, and a `Talk` that
drives the engine the way the app does (state stored as JSON and loaded between messages)."""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from pyxform.xls2xform import convert

from forms.model import FormModel
from sms_flows import engine
from sms_flows.types import StartContext

FORMS = Path(__file__).parent.parent / "fixtures" / "forms"
T0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


@cache
def xform(name: str) -> str:
    """The XForm pyxform makes from a fixture XLSForm."""
    return convert(xlsform=str(FORMS / f"{name}.xlsx")).xform


@cache
def model(name: str) -> FormModel:
    """The engine's model of a fixture form (parsed once)."""
    return engine.parse_form(xform(name))


@cache
def md_model(md: str) -> FormModel:
    """The engine's model of a small XLSForm written in pyxform's markdown."""
    return engine.parse_form(convert(xlsform=md, file_type=".md").xform)


class Talk:
    """One person texting one form; every step goes through to_json/load like the app."""

    def __init__(self, form: str | FormModel, medium: str = "sms", *, text: str = "KEY",
                 language: str | None = None, settings: Mapping[str, Any] | None = None,
                 phone: str = "hash:abc", commands: Mapping | None = None,
                 form_keywords: Mapping[str, str] | None = None, now: datetime = T0) -> None:
        self.model = model(form) if isinstance(form, str) else form
        self.now = now
        context = StartContext(medium=medium, text=text, phone=phone, language=language,
                               settings=dict(settings or {}), commands=commands,
                               form_keywords=dict(form_keywords or {}))
        self.state, self.replies = engine.start(self.model, context, now)
        self._roundtrip()

    def _roundtrip(self) -> None:
        self.state = engine.load(json.loads(json.dumps(self.state.to_json())), self.model)

    def send(self, text: str, *, after: timedelta = timedelta(seconds=20)) -> str:
        """One message in; the replies joined by newlines."""
        self.now += after
        self.state, self.replies = engine.step(self.state, text, self.now)
        self._roundtrip()
        return "\n".join(self.replies)

    def play(self, table: Iterable[tuple[str, Iterable[str]]]) -> None:
        """Send each inbound and check each expected fragment is in the reply."""
        for inbound, fragments in table:
            reply = self.send(inbound)
            for fragment in fragments:
                assert fragment in reply, f"{inbound!r}: {fragment!r} not in {reply!r}"

    @property
    def reply(self) -> str:
        return "\n".join(self.replies)

"""Trying a form in the page before publishing: the SMS/USSD conversation engine run on the
draft's definition, nothing stored. The conversation's state rides in the page itself, signed
and compressed (a draft has no channel, contact or conversation row to keep it in)."""
from __future__ import annotations

import base64
import zlib
from datetime import datetime

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from app.messaging.engine import engine as conversation_engine
from app.models import FormVersion
from sms_flows.types import ConversationStatus, StartContext


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="draft-trial")


def _pack(version_id: int, state_json: dict) -> str:
    raw = zlib.compress(_serializer().dumps({"v": version_id, "s": state_json}).encode(), 9)
    return base64.urlsafe_b64encode(raw).decode()


def _unpack(token: str, version_id: int) -> dict | None:
    try:
        data = _serializer().loads(zlib.decompress(base64.urlsafe_b64decode(token)).decode())
    except (BadSignature, ValueError, zlib.error):
        return None
    return data["s"] if data.get("v") == version_id else None


def turn(version: FormVersion, medium: str, text: str, token: str | None,
         now: datetime, language: str | None = None) -> tuple[list[str], str | None, bool]:
    """One message to the draft: (replies, the next state's token, finished?). A new survey
    starts in `language` (a code, e.g. the UI's) when the form has it."""
    engine = conversation_engine()
    model = engine.parse_form(version.xml)
    saved = _unpack(token, version.id) if token else None
    if saved is None:
        context = StartContext(phone="+000000000", text=text or (version.sms_keyword or ""),
                               medium=medium, language=language)
        state, replies = engine.start(model, context, now)
    else:
        state, replies = engine.step(engine.load(saved, model), text, now)
    finished = state.status != ConversationStatus.ACTIVE
    return list(replies), None if finished else _pack(version.id, state.to_json()), finished

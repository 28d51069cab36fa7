"""Helpers for the SMS/USSD plumbing tests: a small fake conversation engine behind the real
seam (sms_flows.types.ConversationEngine), and shortcuts for webhook paths and stored rows."""
from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from defusedxml.ElementTree import fromstring

from app.extensions import db

XF = "{http://www.w3.org/2002/xforms}"
QUESTIONS = ["Q1: Name of the water point?", "Q2: How many households use it?"]


@dataclass
class FakeModel:
    root: str
    form_id: str
    version: str


@dataclass
class FakeState:
    """Two free-text questions; BACK drops the last answer; then the instance is built."""

    model: FakeModel
    answers: list[str] = field(default_factory=list)
    status: str = "active"
    language: str | None = "en"
    instance_xml: str | None = None
    reminded: bool = False
    form_keywords: dict[str, str] = field(default_factory=dict)
    asked_switch: str | None = None
    switch_to: str | None = None
    submission_channel: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"answers": self.answers, "status": self.status, "language": self.language,
                "instance_xml": self.instance_xml, "reminded": self.reminded,
                "form_keywords": self.form_keywords, "asked_switch": self.asked_switch}


class FakeEngine:
    """Implements sms_flows.types.ConversationEngine the simplest way; `delay` widens races."""

    def __init__(self) -> None:
        self.delay = 0.0
        self.started: list[Any] = []
        self.steps = 0

    def parse_form(self, xml: str) -> FakeModel:
        root = fromstring(xml.encode())
        instance = next(root.iter(f"{XF}instance"))
        data = list(instance)[0]
        return FakeModel(data.tag.replace(XF, ""), data.get("id"), data.get("version") or "")

    def start(self, form_model, context, now: datetime):
        self.started.append(context)
        state = FakeState(model=form_model, language=context.language or "en",
                          form_keywords=dict(context.form_keywords))
        words = context.text.split()
        if len(words) > len(QUESTIONS):  # compact mode: "MAJI answer answer"
            state.answers = words[1:]
            state.submission_channel = "compact"
            return self._finish(state), ["Asante! Thank you."]
        return state, [QUESTIONS[0]]

    def _finish(self, state: FakeState) -> FakeState:
        state.status = "completed"
        m = state.model
        state.instance_xml = (
            f'<{m.root} id="{m.form_id}" version="{m.version}"><meta><instanceID>'
            f"uuid:{uuid.uuid4()}</instanceID></meta></{m.root}>")
        return state

    def step(self, state: FakeState, inbound_text: str, now: datetime):
        self.steps += 1
        if self.delay:
            time.sleep(self.delay)
        if state.asked_switch and inbound_text.strip().upper() == "YES":
            state.switch_to = state.asked_switch
            return state, []
        if inbound_text.strip().lower() in state.form_keywords:
            state.asked_switch = state.form_keywords[inbound_text.strip().lower()]
            return state, [f"Stop this survey and start {state.asked_switch}? YES/NO"]
        if inbound_text.strip().upper() == "BACK":
            state.answers = state.answers[:-1]
        else:
            state.answers = [*state.answers, inbound_text]
        if len(state.answers) >= len(QUESTIONS):
            return self._finish(state), ["Asante! Thank you."]
        return state, [QUESTIONS[len(state.answers)]]

    def resume(self, state: FakeState, now: datetime):
        state.status = "active"
        return state, [QUESTIONS[len(state.answers)]]

    def tick(self, state: FakeState, now: datetime):
        """A reminder the first time, expiry the second."""
        if not state.reminded:
            state.reminded = True
            return state, ["Reminder: " + QUESTIONS[len(state.answers)]]
        state.status = "expired"
        return state, []

    def load(self, data, form_model) -> FakeState:
        return FakeState(model=form_model, answers=list(data["answers"]), status=data["status"],
                         language=data["language"], instance_xml=data["instance_xml"],
                         reminded=data.get("reminded", False),
                         form_keywords=data.get("form_keywords", {}),
                         asked_switch=data.get("asked_switch"))


def path(url: str) -> str:
    """The path of a full webhook URL, for the test client."""
    return urlsplit(url).path


def messages(direction: str | None = None) -> list:
    from sqlalchemy import select

    from app.models import Message

    query = select(Message).order_by(Message.id)
    if direction:
        query = query.where(Message.direction == direction)
    db.session.expire_all()
    return list(db.session.scalars(query))


AT_URL = "https://api.africastalking.com/version1/messaging"


def at_accepts() -> None:
    """Africa's Talking takes every message (as its API answers, per recipient), the SDK's
    requests caught by `responses`."""
    import itertools
    import json
    from urllib.parse import parse_qs

    import responses

    ids = itertools.count(1)

    def accept(request):
        to = parse_qs(request.body)["to"][0]
        return 201, {"Content-Type": "application/json"}, json.dumps({"SMSMessageData": {
            "Recipients": [{"statusCode": 101, "number": to, "status": "Success",
                            "messageId": f"ATXid_{next(ids)}"}]}})
    responses.add_callback(responses.POST, AT_URL, callback=accept)


def ussd_hop(client, channel: dict, session: str, history: list[str],
             phone: str = "+254711000333") -> str:
    """One Africa's Talking USSD callback (the session's answers so far); -> the screen."""
    response = client.post(path(channel["inbound"]), data={
        "sessionId": session, "serviceCode": channel["address"], "phoneNumber": phone,
        "networkCode": "63902", "text": "*".join(history)})
    assert response.status_code == 200 and response.mimetype == "text/plain"
    screen = response.get_data(as_text=True)
    assert screen[:4] in ("CON ", "END ") and len(screen) <= 182
    return screen


def twilio_whatsapp_in(client, channel: dict, text: str, *, number: int, phone: str,
                       sender: str, account_sid: str, token: str, profile: str, send_url: str,
                       media_url: str | None = None) -> list[dict[str, list[str]]]:
    """One WhatsApp message from `phone` to `sender` as Twilio posts it (a photo when
    `media_url`), signed with the channel's `token`, its sid made from `number`; -> the
    messages the SDK then sent to `send_url`, as Twilio would parse them."""
    import responses
    from twilio.request_validator import RequestValidator

    sid = f"SM{number:032d}" if media_url is None else f"MM{number:032d}"
    form = {"SmsMessageSid": sid, "NumMedia": "0", "ProfileName": profile,
            "MessageType": "text", "SmsSid": sid, "WaId": phone[1:], "SmsStatus": "received",
            "Body": text, "To": f"whatsapp:{sender}", "NumSegments": "1",
            "ReferralNumMedia": "0", "MessageSid": sid, "AccountSid": account_sid,
            "From": f"whatsapp:{phone}", "ApiVersion": "2010-04-01"}
    if media_url is not None:
        form.update(NumMedia="1", MessageType="image", MediaContentType0="image/jpeg",
                    MediaUrl0=media_url)
    signature = RequestValidator(token).compute_signature(channel["inbound"], form)
    before = len(responses.calls)
    response = client.post(path(channel["inbound"]), data=form,
                           headers={"X-Twilio-Signature": signature})
    assert response.status_code == 200
    return [parse_qs(c.request.body) for c in responses.calls[before:]
            if c.request.url == send_url]

"""A text or a USSD hop in: one turn (app.messaging.turn), the same path for every case.

The usual text (a known person answering their open survey) costs three statements: the
person and survey read and locked, the survey saved, the inbound and its replies stored. A
first text, a command, an opt-out, a form switch or a USSD menu add the statements they need,
in the same steps. The caller commits with `commit_with_retry` and then calls
`finish.after_commit`.
"""
from __future__ import annotations

import logging
import uuid
from dataclasses import replace
from datetime import datetime

from app.messaging import contacts, rights, store, throttle, ussd
from app.messaging.store import SIMULATOR
from app.messaging.throttle import Verdict
from app.messaging.turn import (
    ChannelLike,
    Outcome,
    Turn,
    begin,
    open_survey,
    redial,
    respond_to_text,
    step,
    store_messages,
)
from app.models.base import utcnow
from sms_flows.messages import message
from sms_flows.types import (
    ConversationStatus,
    InboundMessage,
    MessageStatus,
    UssdRequest,
    printable,
)

log = logging.getLogger(__name__)


def receive_sms(channel: ChannelLike, inbound: InboundMessage, *, now: datetime | None = None,
                simulate: bool = False, require_live: bool = False) -> Outcome:
    """One text in: the turn, its replies stored (not committed). `require_live` (webhooks):
    raise ChannelGone when the channel is disabled or deleted; `simulate`: replies are shown,
    not sent."""
    inbound = replace(inbound, text=printable(inbound.text), sender=printable(inbound.sender))
    turn = begin(channel, inbound.sender, now or utcnow(), require_live=require_live)
    verdict = Verdict.ANSWER if simulate else throttle.inbound(channel.id, inbound.sender)
    if verdict is Verdict.ANSWER:
        replies = rights.answer(turn, inbound.text)
        if replies is None:
            replies = respond_to_text(turn, inbound.text, inbound.media)
        received = MessageStatus.RECEIVED
    else:
        # Over the per-minute limits: stored (never lost), not answered, but for one "slow
        # down" a minute in the person's language.
        log.warning("inbound.throttled channel=%s contact=%s verdict=%s", channel.id,
                    turn.person.id, verdict.value)
        replies = [message("slow_down", turn.person.language)] \
            if verdict is Verdict.SLOW_DOWN else []
        received = MessageStatus.THROTTLED
    status, provider_status = ((MessageStatus.DELIVERED, "simulated") if simulate
                               else (MessageStatus.QUEUED, None))
    if not store_messages(turn, (inbound.text, inbound.provider_id), replies, status,
                          provider_status, inbound_status=received):
        return Outcome(duplicate=True)
    return turn.outcome


def receive_ussd(channel: ChannelLike, hop: UssdRequest, *, now: datetime | None = None,
                 dedup_key: str | None = None, require_live: bool = False) -> Outcome:
    """One USSD hop in, one screen out; the state is ours, keyed by session and phone.

    A hop is identified by its session and how many answers the history holds, so a
    provider's retry of a hop gets the same screen and never advances the survey twice.
    """
    hop = replace(hop, text=printable(hop.text), phone=printable(hop.phone))
    turn = begin(channel, hop.phone, now or utcnow(), require_live=require_live)
    turn.session_key = hop.session_id
    if turn.survey is None:
        replies = open_survey(turn, "", "ussd")
    elif hop.answer is None:  # dialled again after the network cut the session
        replies = redial(turn)
    else:
        replies = rights.answer(turn, hop.answer) or _menu_rights(turn, hop.answer) \
            or step(turn, hop.answer)
    screen = ussd.screen(replies, turn.survey is not None
                         and turn.survey.status == ConversationStatus.ACTIVE)
    if not store_messages(turn, (hop.answer or "", dedup_key or f"{hop.session_id}:{hop.hop}"),
                          [screen], MessageStatus.DELIVERED):
        return Outcome(duplicate=True, screen=store.last_screen(turn.channel_id, turn.person.id))
    turn.outcome.screen = screen
    turn.outcome.replies = [screen]
    return turn.outcome


def _menu_rights(turn: Turn, answer: str) -> list[str] | None:
    """A USSD menu's entries after its surveys: my data, delete my data."""
    survey = turn.survey
    if survey is None or survey.form_id is not None or not answer.strip().isdigit():
        return None
    return rights.menu_choice(turn, int(answer) - len(survey.state.get("menu", [])) - 1)


def simulate(channel: ChannelLike, kind: str, address: str, phone: str, text: str,
             now: datetime | None = None, *, submit: bool = False) -> Outcome:
    """The same turn, nothing sent: an SMS channel takes `text` as a text; a USSD channel
    takes it as the next answer, or dials when no session is open.

    A simulated conversation is marked (session_key "simulator"). When it finishes, its
    instance is kept on the conversation but NOT stored as a submission unless `submit`;
    a stored one gets the channel `simulated-sms`, `simulated-ussd` or `simulated-compact`,
    so it can be told apart from (and excluded with) real data. A finish not stored says it
    was a test, instead of our "your answers have been saved".
    """
    if kind == "ussd":
        person = contacts.find(channel.project_id, phone)
        dial = person is None or store.active(channel.id, person.id) is None
        hop = UssdRequest(session_id=SIMULATOR, service_code=address, phone=phone,
                          text="" if dial else text)
        outcome = receive_ussd(channel, hop, now=now, dedup_key=f"simulator:{uuid.uuid4().hex}")
    else:
        inbound = InboundMessage(sender=phone, recipient=address, text=text, provider_id="")
        outcome = receive_sms(channel, inbound, now=now, simulate=True)
        if outcome.conversation_id is not None:
            store.mark_simulated(outcome.conversation_id)
    outcome.submit_simulated = submit
    if outcome.finished and not submit:
        _say_it_was_a_test(outcome)
    return outcome


def _say_it_was_a_test(outcome: Outcome) -> None:
    row = store.by_id(outcome.finished[-1])
    lang = (row.state or {}).get("language") if row is not None else None
    saved, test = message("thanks", lang), message("simulated", lang)
    replies = outcome.replies
    if outcome.screen is not None:  # USSD: the one END screen says it
        replies = [outcome.screen]
    if replies and replies[-1].endswith(saved):
        replies[-1] = replies[-1][:-len(saved)] + test
    elif outcome.screen is not None:
        replies[-1] = f"{replies[-1]}\n{test}"
    else:
        replies.append(test)
    if outcome.screen is not None:
        outcome.screen = replies[-1]
    outcome.replies = replies

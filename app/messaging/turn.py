"""One turn of a conversation, step by step, each step written once: who is texting (and their
open survey, locked), the engine's start/step/resume, the state saved, the messages stored.

Exactly once, in order: the person's row is locked (PostgreSQL `FOR NO KEY UPDATE`) before
their survey is read, so two texts of one person handled by two workers go one after the
other; the survey's version column refuses a stale write on any backend; the inbound message
is stored last, in the same INSERT as the replies, and its unique (channel, direction,
provider id) makes a provider's retry roll the whole turn back. The caller commits
(`commit_with_retry`) and then calls `finish.after_commit` to ingest and send.
"""
from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from app import crypto
from app.extensions import db
from app.messaging import contacts, store, ussd
from app.messaging.contacts import Person
from app.messaging.engine import engine, form_model
from app.messaging.store import FormRef, Place, Survey
from sms_flows import keywords
from sms_flows.messages import message
from sms_flows.types import ConversationStatus, InboundMedia, MessageStatus, StartContext

log = logging.getLogger(__name__)
_RETRIES = 3


class ChannelGone(Exception):
    """The channel was disabled or deleted: its webhooks answer 404."""


class ChannelLike(Protocol):
    id: int
    project_id: int


@dataclass
class Outcome:
    """What one turn did: replies to show, messages to send and surveys to ingest."""

    replies: list[str] = field(default_factory=list)
    send: list[int] = field(default_factory=list)  # stored outbound message ids
    finished: list[int] = field(default_factory=list)  # conversation ids to ingest
    purge: list[int] = field(default_factory=list)  # declined conversations: texts to remove
    duplicate: bool = False
    screen: str | None = None  # the USSD answer ("CON ..." / "END ...")
    erased_contact: int | None = None  # erased by this turn: gone once its replies have
    erased_files: list = field(default_factory=list)  # removed after the commit
    conversation_id: int | None = None  # the conversation this turn went to, if any
    submit_simulated: bool = False  # a simulation asked for its finished survey to be stored


@dataclass
class Turn:
    """Everything one turn reads once and the steps share."""

    channel_id: int
    project_id: int
    place: Place
    person: Person
    survey: Survey | None
    now: datetime
    phone: str | None = None  # the sender's number (a turn from a text or a hop)
    session_key: str | None = None  # USSD: the provider's session, kept on the survey
    outcome: Outcome = field(default_factory=Outcome)


def commit_with_retry(work: Callable[[], Outcome]) -> Outcome:
    """Run one turn and commit; run it again if another worker won a race."""
    for attempt in range(_RETRIES):
        try:
            outcome = work()
            db.session.commit()
            return outcome
        except (StaleDataError, IntegrityError):
            db.session.rollback()
            if attempt == _RETRIES - 1:
                raise
    raise AssertionError("unreachable")


def begin(channel: ChannelLike, phone: str, now: datetime, *, require_live: bool) -> Turn:
    """Who is texting and their open survey, locked. The usual case (a known person with an
    open survey here) is one statement; otherwise the place is read, and the person created
    (ours alone until commit) or locked and their open survey looked for."""
    phone_hash = crypto.phone_hash(phone)
    row = store.read_turn(channel.id, channel.project_id, phone_hash)
    found = row is not None
    if not found:
        row = store.read_place(channel.id, phone_hash)
        if row is None:
            raise ChannelGone(channel.id)
    place = store.place(row)
    if require_live and (not place.enabled or place.deleted):
        raise ChannelGone(channel.id)
    if found:
        person = Person(row.contact_id, row.language, row.opted_out_at,
                        erasure_requested_at=row.erasure_requested_at)
        survey = store.survey(row)
    elif row.contact_id is None:
        person, survey = contacts.create(channel.project_id, phone), None
    else:
        person = contacts.lock(row.contact_id)
        survey = store.active(channel.id, person.id)
    return Turn(channel.id, channel.project_id, place, person, survey, now, phone)


# --- what a text does --------------------------------------------------------------------------

def command(turn: Turn, text: str) -> str | None:
    """The command word the text is (STOP, START...), in the project's words, or None."""
    overrides = json.dumps(turn.place.project_settings.get("smsCommands"), sort_keys=True)
    match = keywords.match_command(text, _word_table(overrides))
    return match.command if match is not None else None


@functools.lru_cache(maxsize=64)
def _word_table(overrides_json: str) -> dict[str, str]:
    return keywords.word_table(json.loads(overrides_json))


def respond_to_text(turn: Turn, text: str, media: Sequence[InboundMedia] = ()) -> list[str]:
    """An SMS (or WhatsApp message, with any photo or voice note it carried): opt-out and in,
    then the open survey's step, a resumed one, or a new one."""
    said = command(turn, text)
    person = turn.person
    if said == keywords.STOP:
        contacts.opt_out(person.id, turn.now)
        person.opted_out_at, turn.survey = turn.now, None
        log.info("contact.opted_out contact=%s channel=%s", person.id, turn.channel_id)
        return []
    if person.opted_out_at is not None:
        if said != keywords.START:
            turn.survey = None
            return []  # silent until START
        contacts.opt_in(person.id, turn.now)
        person.opted_out_at = None
    if turn.survey is not None:
        return step(turn, text, media) if said != keywords.START else resume(turn)
    expired = store.latest_expired(turn.channel_id, person.id)
    if expired is not None:
        form = pick_form(turn, text)
        if form is None or form.id == expired.form_id:
            # An expired survey is a partial kept for this: pick up where they stopped.
            turn.survey = expired
            return resume(turn)
    return open_survey(turn, text, "whatsapp" if turn.place.kind == "whatsapp" else "sms")


def open_survey(turn: Turn, text: str, medium: str) -> list[str]:
    """A new survey on the form the text (or the channel) names; else the USSD menu, or the
    keywords that would open one."""
    form = pick_form(turn, text)
    if form is None:
        return _open_menu(turn) if medium == "ussd" else _help(turn)
    turn.survey = Survey(None, form.id, form.version_id, form.sha256, {}, 0,
                         ConversationStatus.ACTIVE, medium, turn.session_key,
                         conversation=form.conversation)
    return _start(turn, form, text)


def step(turn: Turn, text: str, media: Sequence[InboundMedia] = ()) -> list[str]:
    """One answer (or command) into the open survey. A confirmed switch to another form keeps
    this survey, resumable, as a partial, and starts the other."""
    survey = turn.survey
    assert survey is not None
    if survey.form_id is None:
        return _choose_from_menu(turn, text)
    current = engine()
    loaded = current.load(survey.state, _model(survey))
    state, replies = current.step(loaded, text, turn.now, media) if media else \
        current.step(loaded, text, turn.now)
    switch_to = getattr(state, "switch_to", None)
    target = store.form_by_xml_id(turn.project_id, switch_to) \
        if switch_to and state.status == ConversationStatus.ACTIVE else None
    save(turn, state, {"status": ConversationStatus.EXPIRED} if target is not None else None)
    if target is None:
        return replies
    turn.survey = Survey(None, target.id, target.version_id, target.sha256, {}, 0,
                         ConversationStatus.ACTIVE, survey.medium, None,
                         conversation=target.conversation)
    return [*replies, *_start(turn, target, target.sms_keyword or "")]


def resume(turn: Turn) -> list[str]:
    """Ask again where the person stopped (a redial, START, a text after expiry)."""
    survey = turn.survey
    assert survey is not None
    if survey.form_id is None:
        return _show_menu(turn)
    current = engine()
    state, replies = current.resume(current.load(survey.state, _model(survey)), turn.now)
    save(turn, state)
    return replies


def redial(turn: Turn) -> list[str]:
    """A USSD code dialled again with a survey open: within the channel's resume window the
    engine offers to continue; after it, that survey is kept as a partial (expired) and a new
    one starts."""
    survey = turn.survey
    assert survey is not None
    if survey.form_id is not None:
        current = engine()
        resumable = getattr(current, "resumable", None)
        if resumable is not None and not resumable(current.load(survey.state, _model(survey)),
                                                   turn.now):
            _write(turn, survey, {"status": ConversationStatus.EXPIRED,
                                  "last_activity_at": turn.now})
            turn.survey = None
            return open_survey(turn, "", survey.medium)
    return resume(turn)


def tick(turn: Turn) -> list[str]:
    """An idle survey: the engine's reminder (once) or expiry; nothing when it has neither."""
    survey = turn.survey
    assert survey is not None
    current = engine()
    state, replies = current.tick(current.load(survey.state, _model(survey)), turn.now)
    if replies or state.status != survey.status or state.to_json() != survey.state:
        save(turn, state)
    return replies


def _model(survey: Survey) -> Any:
    assert survey.sha256 is not None and survey.form_version_id is not None
    return form_model(survey.sha256, survey.form_version_id, survey.conversation)


def _start(turn: Turn, form: FormRef, text: str) -> list[str]:
    """Start the engine on a form's published version in the turn's survey."""
    settings = turn.place.project_settings
    phone = turn.phone or contacts.phone_of(turn.person.id)
    context = StartContext(
        medium=turn.survey.medium if turn.survey else "sms", text=text,
        phone=phone if settings.get("allowPhoneNumbers") else crypto.phone_hash(phone),
        language=turn.person.language,
        settings={**(settings.get("sms") or {}), **turn.place.channel_settings},
        commands=settings.get("smsCommands"),
        form_keywords={keywords.fold(f.sms_keyword): f.xml_form_id
                       for f in store.keyword_forms(turn.project_id)
                       if f.sms_keyword and f.id != form.id})
    state, replies = engine().start(form_model(form.sha256, form.version_id, form.conversation),
                                    context, turn.now)
    save(turn, state, {"form_id": form.id, "form_version_id": form.version_id})
    return replies


def save(turn: Turn, state: Any, override: dict[str, Any] | None = None) -> None:
    """The engine's state into the survey (an UPDATE under its version check, or the INSERT of
    a new one); the person's language and opt-out follow it; a completed survey is queued
    for ingest."""
    survey, person, now = turn.survey, turn.person, turn.now
    assert survey is not None
    values: dict[str, Any] = {"state": state.to_json(), "status": state.status,
                              "language": state.language, "last_activity_at": now}
    if turn.session_key is not None and not survey.simulated:
        values["session_key"] = turn.session_key  # a simulated survey stays marked
    finished = state.status == ConversationStatus.COMPLETED and not survey.completed
    declined = (state.status == ConversationStatus.DECLINED
                and survey.status != ConversationStatus.DECLINED)
    if finished:
        values.update(completed_at=now, instance_xml=state.instance_xml)
        if getattr(state, "submission_channel", None) == "compact":
            values["medium"] = "compact"  # recorded as the submission's channel
    values.update(override or {})
    _write(turn, survey, values)
    survey.state, survey.status = values["state"], values["status"]
    if finished:
        survey.completed = True
        turn.outcome.finished.append(survey.id)  # type: ignore[arg-type]
    if declined and not survey.simulated:
        turn.outcome.purge.append(survey.id)  # type: ignore[arg-type]
    if state.language and state.language != person.language:
        contacts.set_language(person.id, state.language)
        person.language = state.language
    if state.status == ConversationStatus.OPTED_OUT and person.opted_out_at is None:
        contacts.opt_out(person.id, now)  # the engine heard a stop word: the same opt-out
        person.opted_out_at = now


def _write(turn: Turn, survey: Survey, values: dict[str, Any]) -> None:
    if survey.id is None:
        store.insert(survey, project_id=turn.project_id, channel_id=turn.channel_id,
                     contact_id=turn.person.id, now=turn.now, values=values)
    else:
        store.save(survey, values)


def store_messages(turn: Turn, inbound: tuple[str, str | None] | None, replies: list[str],
                   status: str = MessageStatus.QUEUED, provider_status: str | None = None,
                   inbound_status: str = MessageStatus.RECEIVED) -> bool:
    """The turn's inbound (text, provider id; stored as `inbound_status`) and its replies, in
    one INSERT; replies to a person who opted out are not stored. False (the turn rolled back)
    on a provider's retry. The stored replies' ids go to `outcome.send` when they are to be
    sent."""
    survey_id = turn.survey.id if turn.survey is not None else None
    common = {"project_id": turn.project_id, "channel_id": turn.channel_id,
              "contact_id": turn.person.id, "conversation_id": survey_id, "now": turn.now}
    rows = []
    if inbound is not None:
        rows.append(store.message_row(**common, direction="in", text=inbound[0],
                                      status=inbound_status, provider_id=inbound[1]))
    if turn.person.opted_out_at is not None and replies:
        log.info("outbound.suppressed contact=%s channel=%s reason=opted-out", turn.person.id,
                 turn.channel_id)
        replies = []
    rows += [store.message_row(**common, direction="out", text=text, status=status,
                               provider_status=provider_status) for text in replies]
    if not rows:
        return True
    stored = store.store_messages(rows)
    if stored is None:
        db.session.rollback()  # nothing of this attempt is kept
        log.info("inbound.duplicate channel=%s contact=%s", turn.channel_id, turn.person.id)
        return False
    turn.outcome.replies = list(replies)
    if status == MessageStatus.QUEUED:
        turn.outcome.send += sorted(i for i, direction in stored if direction == "out")
    turn.outcome.conversation_id = survey_id
    return True


# --- forms ---------------------------------------------------------------------------------

def pick_form(turn: Turn, text: str) -> FormRef | None:
    """The channel's own form, else the form whose SMS keyword starts the text."""
    configured = turn.place.channel_settings.get("form")
    if configured:
        return store.form_by_xml_id(turn.project_id, str(configured))
    first = keywords.fold(text).partition(" ")[0]
    if not first:
        return None
    for form in store.keyword_forms(turn.project_id):
        if keywords.fold(form.sms_keyword or "") == first:
            return form
    return None


def _help(turn: Turn) -> list[str]:
    """The reply to a text that opens nothing: the keywords that would."""
    words = [f.sms_keyword for f in store.keyword_forms(turn.project_id) if f.sms_keyword]
    if not words:
        return []
    language = turn.person.language
    return [message("start_keywords", language, keywords=message("or", language).join(
        w.upper() for w in words))]


def _open_menu(turn: Turn) -> list[str]:
    """A USSD menu survey (no form yet) listing the project's open forms, then the citizen's
    rights (my data, delete my data)."""
    forms = store.menu_forms(turn.project_id)
    turn.survey = Survey(None, None, None, None, {"menu": [f.id for f in forms]}, 0,
                         ConversationStatus.ACTIVE, "ussd", turn.session_key)
    _write(turn, turn.survey, {"state": turn.survey.state})
    return [ussd.menu_text(forms, turn.person.language)]


def _show_menu(turn: Turn) -> list[str]:
    """The menu again (the caller redialled before choosing)."""
    assert turn.survey is not None
    _write(turn, turn.survey, {"last_activity_at": turn.now})
    return [ussd.menu_text(store.menu_forms(turn.project_id, turn.survey.state.get("menu")),
                           turn.person.language)]


def _choose_from_menu(turn: Turn, text: str) -> list[str]:
    assert turn.survey is not None
    forms = store.menu_forms(turn.project_id, turn.survey.state.get("menu", []))
    choice = text.strip()
    if choice.isdigit() and 1 <= int(choice) <= len(forms):
        form = forms[int(choice) - 1]
        survey = turn.survey
        survey.form_id, survey.form_version_id, survey.sha256 = form.id, form.version_id, \
            form.sha256
        survey.conversation = form.conversation
        return _start(turn, form, "")
    _write(turn, turn.survey, {"last_activity_at": turn.now})
    return [message("reply_number", turn.person.language) + "\n"
            + ussd.menu_text(forms, turn.person.language)]

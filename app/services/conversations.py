"""Conversations: an inbound text or USSD hop in, the engine's replies stored out.

Exactly once, in order: inbound is deduplicated by a unique (channel, direction, provider id);
the person's contact row is locked (PostgreSQL `FOR UPDATE`) before their conversation is
read, so two texts of one person handled by two workers go one after the other; the
conversation's version column refuses a stale write on any backend. The caller commits
(`commit_with_retry`) and then calls `after_commit` to ingest finished surveys and send.
"""
from __future__ import annotations

import functools
import importlib
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import and_, bindparam, inspect, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from app import crypto
from app.config import setting
from app.extensions import db
from app.models import Channel, Contact, Conversation, Form, FormVersion, Message, Project
from app.models.base import utcnow
from app.services import channels as channel_service
from app.services import contacts, outbound, ussd_menu
from app.services.channels import ChannelRef
from sms_flows import keywords
from sms_flows.types import ConversationEngine, InboundMessage, StartContext, UssdRequest

log = logging.getLogger(__name__)
_RETRIES = 3
SIMULATOR = "simulator"  # the session_key of a simulated conversation


class ChannelGone(Exception):
    """The channel was disabled or deleted: its webhooks answer 404."""


@dataclass
class Outcome:
    """What one inbound did: replies to show, messages to send and surveys to ingest."""

    replies: list[str] = field(default_factory=list)
    send: list[Message | int] = field(default_factory=list)  # stored rows, or their ids
    finished: list[int] = field(default_factory=list)  # conversation ids to ingest
    duplicate: bool = False
    screen: str | None = None  # the USSD answer ("CON ..." / "END ...")
    conversation_id: int | None = None  # the conversation this inbound went to, if any
    submit_simulated: bool = False  # a simulation asked for its finished survey to be stored


def engine() -> ConversationEngine:
    """The conversation engine: `app.extensions["sms_engine"]` if set (tests), else the object
    named by SMS_ENGINE ("module:attribute"), else the module sms_flows.engine (module-level
    functions satisfy the protocol)."""
    configured = current_app.extensions.get("sms_engine")
    if configured is None:
        name = str(setting("SMS_ENGINE"))
        module, _, attribute = name.partition(":")
        configured = importlib.import_module(module)
        if attribute:
            configured = getattr(configured, attribute)
            if isinstance(configured, type):
                configured = configured()
        current_app.extensions["sms_engine"] = configured
    return configured


_models: dict[tuple[int, int], Any] = {}


def _form_model(version_id: int) -> Any:
    """The engine's form model for a published version, parsed once per process (the XForm
    is read from the database only on a miss: it is the largest column we touch)."""
    current = engine()
    key = (id(current), version_id)
    if key not in _models:
        xml = db.session.scalar(select(FormVersion.xml).where(FormVersion.id == version_id))
        if len(_models) > 256:
            _models.clear()
        _models[key] = current.parse_form(xml)
    return _models[key]


def commit_with_retry(work: Callable[[], Outcome]) -> Outcome:
    """Run one unit of work and commit; run it again if another worker won a race."""
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


def receive_sms(channel: Channel | ChannelRef, inbound: InboundMessage, *,
                now: datetime | None = None, simulate: bool = False,
                require_live: bool = False) -> Outcome:
    """One text in: dedup, opt-out/in, the engine's step, replies stored (not committed).

    `require_live` (webhooks): raise ChannelGone when the channel is disabled or deleted.
    """
    now = now or utcnow()
    fast = _fast_sms(channel, inbound, now, simulate, require_live)
    if fast is not None:
        return fast
    channel = _orm_channel(channel, require_live)
    contact = contacts.get_or_create(channel.project_id, inbound.sender)
    message_id = _record_inbound(channel, contact, inbound.text, inbound.provider_id, now)
    if message_id is None:
        return Outcome(duplicate=True)
    contact = contacts.lock(contact.id)
    outcome = Outcome()
    conversation, replies = _respond_sms(channel, contact, inbound.text, now, outcome)
    for text in replies:
        reply = outbound.queue(channel, contact, text, now=now,
                               conversation_id=conversation.id if conversation else None,
                               status="delivered" if simulate else "queued")
        if reply is None:
            continue
        outcome.replies.append(text)
        if simulate:
            reply.provider_status = "simulated"
        else:
            outcome.send.append(reply)
    db.session.flush()
    _link(message_id, conversation)
    outcome.conversation_id = conversation.id if conversation is not None else None
    return outcome


def receive_ussd(channel: Channel | ChannelRef, hop: UssdRequest, *,
                 now: datetime | None = None, dedup_key: str | None = None,
                 require_live: bool = False) -> Outcome:
    """One USSD hop in, one screen out; the state is ours, keyed by session and phone.

    A hop is identified by its session and how many answers the history holds, so AT's
    retry of a hop gets the same screen and never advances the survey twice.
    """
    now = now or utcnow()
    key = dedup_key or f"{hop.session_id}:{hop.hop}"
    fast = _fast_ussd(channel, hop, key, now, require_live)
    if fast is not None:
        return fast
    channel = _orm_channel(channel, require_live)
    contact, created = contacts.find_or_create(channel.project_id, hop.phone)
    message_id = _record_inbound(channel, contact, hop.answer or "", key, now)
    if message_id is None:  # AT retried this hop: answer the same screen again
        return Outcome(duplicate=True, screen=_last_screen(channel.id, contact.id))
    outcome = Outcome()
    if created:  # ours alone until commit: nothing to lock, no conversation yet
        conversation = None
    else:
        contact = contacts.lock(contact.id)
        conversation = _active(channel, contact)
    if conversation is None:
        conversation, replies = _open(channel, contact, "", "ussd", now, outcome,
                                      session_key=hop.session_id)
    elif hop.answer is None:  # dialled again after the network cut the session: resume
        conversation, replies = _resume(conversation, now, outcome)
    else:
        conversation, replies = _step(conversation, hop.answer, now, outcome)
    if conversation is not None and conversation.session_key != SIMULATOR:
        conversation.session_key = hop.session_id  # a simulated conversation stays marked
    _link(message_id, conversation)
    outcome.screen = ussd_menu.screen(replies, conversation is not None
                                      and conversation.status == "active")
    outcome.replies = [outcome.screen]
    outbound.queue(channel, contact, outcome.screen, status="delivered", now=now,
                   conversation_id=conversation.id if conversation else None)
    db.session.flush()
    outcome.conversation_id = conversation.id if conversation is not None else None
    return outcome


def _orm_channel(channel: Channel | ChannelRef, require_live: bool) -> Channel:
    if isinstance(channel, Channel):
        orm = channel
    else:
        orm = db.session.get(Channel, channel.id)
    if orm is None or (require_live and (not orm.enabled or orm.deleted_at is not None)):
        raise ChannelGone(channel.id)
    return orm


# --- the fast path --------------------------------------------------------------------------
# The usual text: a known person, not opted out, answering the survey open on this channel.
# Three statements: (1) the person's row locked, read with the channel's live flags and
# settings, the project's settings and their open conversation; (2) the conversation saved
# under its version check; (3) the inbound message and the replies in one INSERT whose
# ON CONFLICT on (channel, direction, provider id) is the dedup: a provider's retry inserts
# no inbound row, and the whole transaction is rolled back. Anything else (a first text, a
# command, an opt-out, a form switch, no open survey) returns None before writing and takes
# the general path below, which does the same in more statements.


@dataclass
class _Row:
    contact_id: int
    contact_language: str | None
    conversation_id: int
    form_version_id: int
    state: dict
    version: int
    completed: bool
    simulated: bool
    project_settings: dict


@functools.cache
def _statements(dialect: str) -> dict[str, Any]:
    """The fast path's Core statements, built once per process with bind parameters (building
    and cache-keying a statement per request cost more CPU than running it)."""
    contact, conversation = Contact.__table__, Conversation.__table__
    channel, project, message = Channel.__table__, Project.__table__, Message.__table__
    read = (
        select(channel.c.enabled, channel.c.deleted_at,
               project.c.settings.label("project_settings"),
               contact.c.id.label("contact_id"), contact.c.language, contact.c.opted_out_at,
               conversation.c.id.label("conversation_id"), conversation.c.form_id,
               conversation.c.form_version_id, conversation.c.state, conversation.c.version,
               conversation.c.completed_at, conversation.c.session_key)
        .select_from(
            contact.join(conversation, and_(
                conversation.c.contact_id == contact.c.id,
                conversation.c.channel_id == bindparam("channel_id"),
                conversation.c.status == "active"))
            .join(channel, channel.c.id == conversation.c.channel_id)
            .join(project, project.c.id == channel.c.project_id))
        .where(contact.c.project_id == bindparam("project_id"),
               contact.c.phone_hash == bindparam("phone_hash"))
        .with_for_update(key_share=True, of=[contact, conversation]))
    # No .values(): the SET clause is the parameters' column names.
    save = update(conversation).where(conversation.c.id == bindparam("b_id"),
                                      conversation.c.version == bindparam("b_version"))
    language = update(contact).where(contact.c.id == bindparam("b_id"))
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    store = insert(message).on_conflict_do_nothing(
        index_elements=["channel_id", "direction", "provider_message_id"]
    ).returning(message.c.id, message.c.direction)
    return {"read": read, "save": save, "language": language, "store": store}


def _connection() -> tuple[Any, dict[str, Any]]:
    connection = db.session.connection()
    return connection, _statements(connection.dialect.name)


def _read(channel: Channel | ChannelRef, phone: str, require_live: bool) -> _Row | None:
    """Statement (1); None when the fast path does not apply (nothing was written).

    Both the person's row and their open conversation are locked (FOR NO KEY UPDATE, the
    person first, as every path locks them): a second worker handling the same person waits
    here, and PostgreSQL then re-reads both locked rows at their committed versions, so the
    engine never steps a stale state (and a conversation finished meanwhile drops out).
    """
    connection, statements = _connection()
    row = connection.execute(statements["read"], {
        "channel_id": channel.id, "project_id": channel.project_id,
        "phone_hash": crypto.phone_hash(phone)}).first()
    if row is None:
        return None  # a new person or no open survey: the general path (it checks liveness)
    if require_live and (not row.enabled or row.deleted_at is not None):
        raise ChannelGone(channel.id)
    if row.opted_out_at is not None or row.form_id is None:
        return None
    return _Row(row.contact_id, row.language, row.conversation_id, row.form_version_id,
                row.state, row.version, row.completed_at is not None,
                row.session_key == SIMULATOR, row.project_settings or {})


def _fast_step(row: _Row, text: str, now: datetime) -> tuple[Any, list[str]] | None:
    current = engine()
    state, replies = current.step(current.load(row.state, _form_model(row.form_version_id)),
                                  text, now)
    if getattr(state, "switch_to", None) or state.status == "opted-out":
        return None  # the general path does these (it steps again from the same stored state)
    return state, replies


def _fast_save(row: _Row, state: Any, now: datetime, outcome: Outcome,
               session_key: str | None = None) -> None:
    """Statement (2): the state under the version check (plus the contact's language when
    it changed)."""
    connection, statements = _connection()
    values: dict[str, Any] = {"b_id": row.conversation_id, "b_version": row.version,
                              "state": state.to_json(), "status": state.status,
                              "language": state.language, "last_activity_at": now,
                              "version": row.version + 1}
    if session_key is not None and not row.simulated:  # a simulated one stays marked
        values["session_key"] = session_key
    if state.status == "completed" and not row.completed:
        values.update(completed_at=now, instance_xml=state.instance_xml)
        if getattr(state, "submission_channel", None) == "compact":
            values["medium"] = "compact"
        outcome.finished.append(row.conversation_id)
    if connection.execute(statements["save"], values).rowcount != 1:
        raise StaleDataError(f"conversation {row.conversation_id} changed meanwhile")
    if state.language and state.language != row.contact_language:
        connection.execute(statements["language"],
                           {"b_id": row.contact_id, "language": state.language})


def _fast_messages(channel: Channel | ChannelRef, row: _Row, inbound_text: str,
                   provider_id: str | None, replies: list[str], reply_status: str,
                   now: datetime, reply_provider_status: str | None = None) -> list[int] | None:
    """Statement (3): the inbound and its replies; None (all rolled back) on a duplicate."""
    common = {"project_id": channel.project_id, "channel_id": channel.id,
              "contact_id": row.contact_id, "conversation_id": row.conversation_id,
              "attempts": 0, "created_at": now, "status_at": now}
    rows = [{**common, "direction": "in", "text": inbound_text, "status": "received",
             "provider_message_id": provider_id or None, "provider_status": None}]
    rows += [{**common, "direction": "out", "text": text, "status": reply_status,
              "provider_message_id": None, "provider_status": reply_provider_status}
             for text in replies]
    connection, statements = _connection()
    # Several rows: one INSERT ... VALUES (...), (...) RETURNING ("insertmanyvalues").
    stored = connection.execute(statements["store"], rows if len(rows) > 1 else rows[0]).all()
    if not any(direction == "in" for _, direction in stored):
        db.session.rollback()  # a provider's retry: nothing of this attempt is kept
        log.info("inbound.duplicate channel=%s contact=%s", channel.id, row.contact_id)
        return None
    return sorted(message_id for message_id, direction in stored if direction == "out")


def _fast_sms(channel: Channel | ChannelRef, inbound: InboundMessage, now: datetime,
              simulate: bool, require_live: bool) -> Outcome | None:
    row = _read(channel, inbound.sender, require_live)
    if row is None:
        return None
    overrides = json.dumps(row.project_settings.get("smsCommands"), sort_keys=True)
    match = keywords.match_command(inbound.text, _word_table(overrides))
    if match is not None and match.command in (keywords.STOP, keywords.START):
        return None
    stepped = _fast_step(row, inbound.text, now)
    if stepped is None:
        return None
    state, replies = stepped
    outcome = Outcome(conversation_id=row.conversation_id)
    _fast_save(row, state, now, outcome)
    ids = _fast_messages(channel, row, inbound.text, inbound.provider_id, replies,
                         "delivered" if simulate else "queued", now,
                         "simulated" if simulate else None)
    if ids is None:
        return Outcome(duplicate=True)
    outcome.replies = list(replies)
    if not simulate:
        outcome.send = list(ids)
    return outcome


def _fast_ussd(channel: Channel | ChannelRef, hop: UssdRequest, key: str, now: datetime,
               require_live: bool) -> Outcome | None:
    if hop.answer is None:
        return None  # a dial: open or resume, the general path
    row = _read(channel, hop.phone, require_live)
    if row is None:
        return None
    stepped = _fast_step(row, hop.answer, now)
    if stepped is None:
        return None
    state, replies = stepped
    outcome = Outcome(conversation_id=row.conversation_id)
    _fast_save(row, state, now, outcome, session_key=hop.session_id)
    outcome.screen = ussd_menu.screen(replies, state.status == "active")
    outcome.replies = [outcome.screen]
    ids = _fast_messages(channel, row, hop.answer, key, [outcome.screen], "delivered", now)
    if ids is None:
        return Outcome(duplicate=True, screen=_last_screen(channel.id, row.contact_id))
    return outcome


def simulate(channel: Channel, phone: str, text: str, now: datetime | None = None, *,
             submit: bool = False) -> Outcome:
    """The same engine, nothing sent: an SMS channel takes `text` as a text; a USSD channel
    takes it as the next answer, or dials when no session is open.

    A simulated conversation is marked (session_key "simulator"). When it finishes, its
    instance is kept on the conversation but NOT stored as a submission unless `submit`;
    a stored one gets the channel `simulated-sms`, `simulated-ussd` or `simulated-compact`,
    so it can be told apart from (and excluded with) real data.
    """
    now = now or utcnow()
    if channel.kind == "ussd":
        contact = contacts.get_or_create(channel.project_id, phone)
        dial = _active(channel, contact) is None
        hop = UssdRequest(session_id=SIMULATOR, service_code=channel.address, phone=phone,
                          text="" if dial else text)
        outcome = receive_ussd(channel, hop, now=now,
                               dedup_key=f"simulator:{uuid.uuid4().hex}")
    else:
        inbound = InboundMessage(sender=phone, recipient=channel.address, text=text,
                                 provider_id="")
        outcome = receive_sms(channel, inbound, now=now, simulate=True)
        if outcome.conversation_id is not None:
            db.session.execute(update(Conversation).where(
                Conversation.id == outcome.conversation_id).values(session_key=SIMULATOR)
                .execution_options(synchronize_session=False))
    outcome.submit_simulated = submit
    return outcome


def tick_idle(now: datetime | None = None, idle_seconds: int = 600) -> Outcome:
    """Give the engine every SMS survey idle for `idle_seconds`: reminders are queued, expired
    ones kept as partials. Commits per conversation; send `outcome.send` afterwards."""
    now = now or utcnow()
    outcome = Outcome()
    cutoff = now - timedelta(seconds=idle_seconds)
    ids = list(db.session.scalars(select(Conversation.id).where(
        Conversation.status == "active", Conversation.medium == "sms",
        Conversation.form_id.is_not(None), Conversation.last_activity_at < cutoff)))
    for conversation_id in ids:
        try:
            _tick_one(conversation_id, now, outcome)
            db.session.commit()
        except StaleDataError:  # the person answered meanwhile: nothing to remind
            db.session.rollback()
    return outcome


def _tick_one(conversation_id: int, now: datetime, outcome: Outcome) -> None:
    conversation = db.session.get(Conversation, conversation_id)
    contact = contacts.lock(conversation.contact_id)
    db.session.refresh(conversation)
    if conversation.status != "active":
        return
    current = engine()
    before = conversation.state
    state, replies = current.tick(current.load(before, _form_model(conversation.form_version_id)),
                                  now)
    if not replies and state.status == conversation.status and state.to_json() == before:
        return
    _save(conversation, state, now, outcome)
    channel = db.session.get(Channel, conversation.channel_id)
    for text in replies:
        reply = outbound.queue(channel, contact, text, conversation_id=conversation.id, now=now)
        if reply is not None:
            outcome.send.append(reply)
    db.session.flush()


def after_commit(outcome: Outcome) -> None:
    """Ingest finished surveys, then hand stored replies to the send job."""
    for conversation_id in outcome.finished:
        ingest_finished(conversation_id, submit_simulated=outcome.submit_simulated)
    if outcome.send:
        from app import messaging_jobs

        # The identity key, not m.id: reading an expired attribute would reload each row.
        messaging_jobs.enqueue_send([m if isinstance(m, int) else inspect(m).identity[0]
                                     for m in outcome.send])


def ingest_finished(conversation_id: int, *, submit_simulated: bool = False) -> None:
    """Store a completed survey through sync.ingest (idempotent by instanceID); commits.

    A simulated conversation is stored only when `submit_simulated`, with the channel
    `simulated-<medium>`; otherwise its instance stays on the conversation only.
    """
    from sync import ingest as sync_ingest
    from sync.errors import IngestError

    conversation = db.session.get(Conversation, conversation_id)
    if conversation is None or conversation.instance_id or not conversation.instance_xml:
        return
    channel = conversation.medium
    if conversation.session_key == SIMULATOR:
        if not submit_simulated:
            log.info("conversation.simulated_not_stored conversation=%s", conversation_id)
            return
        channel = f"simulated-{conversation.medium}"
    try:
        result = sync_ingest.ingest(
            project_id=conversation.project_id, xml=conversation.instance_xml.encode("utf-8"),
            attachments={}, channel=channel, submitter_id=None, device_id=None)
    except IngestError as error:
        conversation = db.session.get(Conversation, conversation_id)
        conversation.error = f"{getattr(error, 'code', 'ingest')}: {error}"[:1000]
        db.session.commit()
        log.warning("conversation.ingest_failed conversation=%s error=%s", conversation_id,
                    conversation.error)
        return
    conversation = db.session.get(Conversation, conversation_id)
    conversation.instance_id = result.instance_id
    conversation.error = None
    db.session.commit()


# --- the steps -----------------------------------------------------------------------------


def _record_inbound(channel: Channel, contact: Contact, text: str, provider_id: str,
                    now: datetime) -> int | None:
    """Store the inbound message; None when this provider id was already stored (a retry).

    INSERT ... ON CONFLICT DO NOTHING on the unique (channel, direction, provider id): on
    PostgreSQL a concurrent copy of the same message waits for the first to commit, then
    inserts nothing. One statement, no savepoint.
    """
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(Message).values(
        project_id=channel.project_id, channel_id=channel.id, contact_id=contact.id,
        direction="in", text=text, status="received", provider_message_id=provider_id or None,
        attempts=0, created_at=now, status_at=now,
    ).on_conflict_do_nothing(
        index_elements=["channel_id", "direction", "provider_message_id"]
    ).returning(Message.id)
    message_id = db.session.execute(statement).scalar()
    if message_id is None:
        log.info("inbound.duplicate channel=%s contact=%s", channel.id, contact.id)
    return message_id


def _link(message_id: int, conversation: Conversation | None) -> None:
    if conversation is not None:
        db.session.execute(update(Message).where(Message.id == message_id)
                           .values(conversation_id=conversation.id))


def _command_table(channel: Channel) -> dict[str, str]:
    project = db.session.get(Project, channel.project_id)
    return _word_table(json.dumps((project.settings or {}).get("smsCommands"), sort_keys=True))


@functools.lru_cache(maxsize=64)
def _word_table(overrides_json: str) -> dict[str, str]:
    return keywords.word_table(json.loads(overrides_json))


def _respond_sms(channel: Channel, contact: Contact, text: str, now: datetime,
                 outcome: Outcome) -> tuple[Conversation | None, list[str]]:
    match = keywords.match_command(text, _command_table(channel))
    if match is not None and match.command == keywords.STOP:
        contacts.opt_out(contact, now)
        log.info("contact.opted_out contact=%s channel=%s", contact.id, channel.id)
        return None, []
    if contact.opted_out_at is not None:
        if match is None or match.command != keywords.START:
            return None, []  # silent until START
        contacts.opt_in(contact, now)
    conversation = _active(channel, contact)
    if conversation is not None and (match is None or match.command != keywords.START):
        return _step(conversation, text, now, outcome)
    if conversation is not None:
        return _resume(conversation, now, outcome)
    expired = _latest_expired(channel, contact)
    if expired is not None:
        form = _pick_form(channel, text)
        if form is None or form.id == expired.form_id:
            # An expired survey is a partial kept for this: pick up where they stopped.
            expired.status = "active"
            return _resume(expired, now, outcome)
    return _open(channel, contact, text, "sms", now, outcome)


def _latest_expired(channel: Channel, contact: Contact) -> Conversation | None:
    latest = db.session.scalar(select(Conversation).where(
        Conversation.channel_id == channel.id, Conversation.contact_id == contact.id,
        Conversation.form_id.is_not(None)).order_by(Conversation.id.desc()).limit(1))
    return latest if latest is not None and latest.status == "expired" else None


def _active(channel: Channel, contact: Contact) -> Conversation | None:
    return db.session.scalar(select(Conversation).where(
        Conversation.channel_id == channel.id, Conversation.contact_id == contact.id,
        Conversation.status == "active").execution_options(populate_existing=True))


def _open(channel: Channel, contact: Contact, text: str, medium: str, now: datetime,
          outcome: Outcome,
          session_key: str | None = None) -> tuple[Conversation | None, list[str]]:
    form = _pick_form(channel, text)
    if form is None:
        if medium == "ussd":
            return ussd_menu.open_menu(channel, contact, now)
        return None, _help(channel)
    conversation = Conversation(
        project_id=channel.project_id, channel_id=channel.id, contact_id=contact.id,
        medium=medium, status="active", state={}, started_at=now, last_activity_at=now,
        session_key=session_key)
    db.session.add(conversation)
    return start_form(conversation, form, text, now, outcome)


def start_form(conversation: Conversation, form: Form, text: str, now: datetime,
               outcome: Outcome) -> tuple[Conversation, list[str]]:
    """Start the engine on a form's published version inside this conversation."""
    with db.session.no_autoflush:  # one INSERT of the new conversation, not INSERT + UPDATE
        return _start_form(conversation, form, text, now, outcome)


def _start_form(conversation: Conversation, form: Form, text: str, now: datetime,
                outcome: Outcome) -> tuple[Conversation, list[str]]:
    channel = db.session.get(Channel, conversation.channel_id)
    contact = db.session.get(Contact, conversation.contact_id)
    project = db.session.get(Project, channel.project_id)
    conversation.form_id = form.id
    conversation.form_version_id = form.current_version_id
    settings = {**((project.settings or {}).get("sms") or {}), **(channel.settings or {})}
    allow_number = bool((project.settings or {}).get("allowPhoneNumbers"))
    phone = contacts.phone_of(contact) if allow_number else crypto.phone_hash(
        contacts.phone_of(contact))
    context = StartContext(medium=conversation.medium, text=text, phone=phone,
                           language=contact.language, settings=settings,
                           commands=(project.settings or {}).get("smsCommands"),
                           form_keywords={keywords.fold(f.sms_keyword): f.xml_form_id
                                          for f in _keyword_forms(project.id)
                                          if f.sms_keyword and f.id != form.id})
    state, replies = engine().start(_form_model(form.current_version_id), context, now)
    _save(conversation, state, now, outcome)
    return conversation, replies


def _step(conversation: Conversation, text: str, now: datetime,
          outcome: Outcome) -> tuple[Conversation, list[str]]:
    if conversation.form_id is None:
        return _choose_from_menu(conversation, text, now, outcome)
    current = engine()
    state = current.load(conversation.state, _form_model(conversation.form_version_id))
    state, replies = current.step(state, text, now)
    _save(conversation, state, now, outcome)
    switch_to = getattr(state, "switch_to", None)
    if switch_to and conversation.status == "active":
        form = channel_service.form_for(conversation.project_id, switch_to)
        if form is not None:
            # The person confirmed another form: this one stays, resumable, as a partial.
            conversation.status = "expired"
            db.session.flush()
            fresh = Conversation(
                project_id=conversation.project_id, channel_id=conversation.channel_id,
                contact_id=conversation.contact_id, medium=conversation.medium,
                status="active", state={}, started_at=now, last_activity_at=now)
            db.session.add(fresh)
            keyword = form.sms_keyword or ""
            fresh, first = start_form(fresh, form, keyword, now, outcome)
            return fresh, [*replies, *first]
    return conversation, replies


def _resume(conversation: Conversation, now: datetime,
            outcome: Outcome) -> tuple[Conversation, list[str]]:
    if conversation.form_id is None:
        return ussd_menu.show(conversation, now)
    current = engine()
    model = _form_model(conversation.form_version_id)
    state, replies = current.resume(current.load(conversation.state, model), now)
    _save(conversation, state, now, outcome)
    return conversation, replies


def _save(conversation: Conversation, state: Any, now: datetime, outcome: Outcome) -> None:
    conversation.state = state.to_json()
    conversation.status = state.status
    conversation.language = state.language
    conversation.last_activity_at = now
    contact = db.session.get(Contact, conversation.contact_id)
    if state.language:
        contact.language = state.language
    if state.status == "opted-out" and contact.opted_out_at is None:
        contacts.opt_out(contact, now)  # the engine heard a stop word: the same opt-out
    if state.status == "completed" and conversation.completed_at is None:
        conversation.completed_at = now
        conversation.instance_xml = state.instance_xml
        if getattr(state, "submission_channel", None) == "compact":
            conversation.medium = "compact"  # recorded as the submission's channel
        db.session.flush()
        outcome.finished.append(conversation.id)
    db.session.flush()


def _pick_form(channel: Channel, text: str) -> Form | None:
    """The channel's own form, else the form whose SMS keyword starts the text."""
    configured = (channel.settings or {}).get("form")
    if configured:
        return channel_service.form_for(channel.project_id, str(configured))
    first = keywords.fold(text).partition(" ")[0]
    if not first:
        return None
    for form in _keyword_forms(channel.project_id):
        if keywords.fold(form.sms_keyword or "") == first:
            return form
    return None


def _keyword_forms(project_id: int) -> list[Form]:
    return list(db.session.scalars(select(Form).where(
        Form.project_id == project_id, Form.sms_keyword.is_not(None), Form.state != "closed",
        Form.deleted_at.is_(None), Form.current_version_id.is_not(None)).order_by(Form.id)))


def _help(channel: Channel) -> list[str]:
    """The reply to a text that opens nothing: the keywords that would."""
    words = [f.sms_keyword for f in _keyword_forms(channel.project_id) if f.sms_keyword]
    if not words:
        return []
    return ["Send " + " or ".join(w.upper() for w in words) + " to start a survey."]


def _last_screen(channel_id: int, contact_id: int) -> str:
    text = db.session.scalar(select(Message.text).where(
        Message.channel_id == channel_id, Message.contact_id == contact_id,
        Message.direction == "out").order_by(Message.id.desc()).limit(1))
    return text or "END"


def _choose_from_menu(conversation: Conversation, text: str, now: datetime,
                      outcome: Outcome) -> tuple[Conversation, list[str]]:
    forms = ussd_menu.forms_of(conversation)
    choice = text.strip()
    if choice.isdigit() and 1 <= int(choice) <= len(forms):
        return start_form(conversation, forms[int(choice) - 1], "", now, outcome)
    conversation.last_activity_at = now
    return conversation, ["Please answer with a number.\n" + ussd_menu.menu_text(forms)]

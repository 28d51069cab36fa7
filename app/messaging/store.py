"""Every statement of an SMS or USSD turn on conversations, messages and the forms they open,
written once as Core statements that run on PostgreSQL and SQLite alike (app.sql holds the
ON CONFLICT and row-lock differences).

The usual turn (a known person answering their open survey) is three statements: `read_turn`
(the person and their open survey locked, with the channel's live flags and the project's
settings), `save` (the survey under its version check) and `store_messages` (the inbound and
the replies in one INSERT whose ON CONFLICT is the provider-retry dedup).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, func, select, update
from sqlalchemy.orm.exc import StaleDataError

from app import sql
from app.extensions import db
from app.models import Channel, Contact, Conversation, Form, FormVersion, Message, Project
from app.models.forms import FormState
from sms_flows.types import UNSENT, ConversationStatus

C, V, M = Contact.__table__, Conversation.__table__, Message.__table__
CH, P, F, FV = Channel.__table__, Project.__table__, Form.__table__, FormVersion.__table__
SIMULATOR = "simulator"  # the session_key of a simulated conversation
MEDIA_ERROR = "media: "  # a finished survey's photo could not be fetched yet


@dataclass
class Survey:
    """A conversation as a turn sees it (`id` None: not stored yet)."""

    id: int | None
    form_id: int | None
    form_version_id: int | None
    sha256: str | None
    state: dict
    version: int
    status: str
    medium: str
    session_key: str | None
    completed: bool = False
    conversation: dict | None = None  # the version's consent/sensitive/sms_progress settings

    @property
    def simulated(self) -> bool:
        return self.session_key == SIMULATOR


@dataclass
class Place:
    """The channel's live flags and settings and the project's, read with the turn."""

    enabled: bool
    deleted: bool
    channel_settings: dict
    project_settings: dict
    kind: str = "sms"  # the channel's: sms | ussd | whatsapp


@dataclass
class FormRef:
    """A published form the SMS paths may open."""

    id: int
    xml_form_id: str
    sms_keyword: str | None
    version_id: int
    sha256: str
    title: str | None
    conversation: dict | None = None  # the version's consent/sensitive/sms_progress settings


_SURVEY = (V.c.id.label("survey_id"), V.c.form_id, V.c.form_version_id, FV.c.sha256, V.c.state,
           V.c.version, V.c.status, V.c.medium, V.c.session_key, V.c.completed_at,
           FV.c.conversation)
_PLACE = (CH.c.enabled, CH.c.deleted_at, CH.c.settings.label("channel_settings"),
          P.c.settings.label("project_settings"), CH.c.kind)
_PERSON = (C.c.id.label("contact_id"), C.c.language, C.c.opted_out_at,
           C.c.erasure_requested_at)


def survey(row: Any) -> Survey:
    return Survey(row.survey_id, row.form_id, row.form_version_id, row.sha256, row.state,
                  row.version, row.status, row.medium, row.session_key,
                  row.completed_at is not None, row.conversation)


def place(row: Any) -> Place:
    return Place(row.enabled, row.deleted_at is not None, row.channel_settings or {},
                 row.project_settings or {}, row.kind)


@functools.cache
def _statements(dialect: str) -> dict[str, Any]:
    """Built once per process and dialect with bind parameters: building and cache-keying a
    statement per request cost more CPU than running it."""
    surveys = V.outerjoin(FV, FV.c.id == V.c.form_version_id)
    channel = CH.join(P, P.c.id == CH.c.project_id)
    return {
        # Both the person's row and their open survey locked (FOR NO KEY UPDATE, the person
        # first, as every path locks them): a second worker handling the same person waits
        # here, and PostgreSQL then re-reads both rows at their committed versions, so the
        # engine never steps a stale state (and a survey finished meanwhile drops out).
        "turn": select(*_PLACE, *_PERSON, *_SURVEY).select_from(
            C.join(V, and_(V.c.contact_id == C.c.id, V.c.channel_id == bindparam("channel_id"),
                           V.c.status == ConversationStatus.ACTIVE))
            .outerjoin(FV, FV.c.id == V.c.form_version_id)
            .join(CH, CH.c.id == V.c.channel_id).join(P, P.c.id == CH.c.project_id))
        .where(C.c.project_id == bindparam("project_id"),
               C.c.phone_hash == bindparam("phone_hash"))
        .with_for_update(key_share=True, of=[C, V]),
        "place": select(*_PLACE, *_PERSON).select_from(channel.outerjoin(C, and_(
            C.c.project_id == CH.c.project_id, C.c.phone_hash == bindparam("phone_hash"))))
        .where(CH.c.id == bindparam("channel_id")),
        "active": select(*_SURVEY).select_from(surveys).where(
            V.c.channel_id == bindparam("channel_id"), V.c.contact_id == bindparam("contact_id"),
            V.c.status == ConversationStatus.ACTIVE).with_for_update(key_share=True, of=[V]),
        "latest": select(*_SURVEY).select_from(surveys).where(
            V.c.channel_id == bindparam("channel_id"), V.c.contact_id == bindparam("contact_id"),
            V.c.form_id.is_not(None)).order_by(V.c.id.desc()).limit(1),
        "by_id": select(*_SURVEY, V.c.channel_id, V.c.contact_id, V.c.project_id,
                        V.c.instance_xml, V.c.instance_id,
                        CH.c.actor_id.label("channel_actor_id"))
        .select_from(surveys.join(CH, CH.c.id == V.c.channel_id))
        .where(V.c.id == bindparam("survey_id")),
        "save": update(V).where(V.c.id == bindparam("b_id"),
                                V.c.version == bindparam("b_version")),
        "store": sql.insert_or_skip(M, ["channel_id", "direction", "provider_message_id"])
        .returning(M.c.id, M.c.direction),
    }


def _run(name: str, params: dict[str, Any]) -> Any:
    return db.session.execute(_statements(sql.dialect())[name], params)


# --- reading ---------------------------------------------------------------------------------

def read_turn(channel_id: int, project_id: int, phone_hash: str) -> Any:
    """The usual case in one statement: the person and their open survey on this channel,
    locked, with the place (None when either is missing)."""
    return _run("turn", {"channel_id": channel_id, "project_id": project_id,
                         "phone_hash": phone_hash}).first()


def read_place(channel_id: int, phone_hash: str) -> Any:
    """The place and the person, if known (nothing locked)."""
    return _run("place", {"channel_id": channel_id, "phone_hash": phone_hash}).first()


def active(channel_id: int, contact_id: int) -> Survey | None:
    """The person's open survey on this channel, locked."""
    row = _run("active", {"channel_id": channel_id, "contact_id": contact_id}).first()
    return survey(row) if row is not None else None


def latest_expired(channel_id: int, contact_id: int) -> Survey | None:
    """The person's latest survey with a form on this channel, if it expired (a partial kept
    to be picked up again)."""
    row = _run("latest", {"channel_id": channel_id, "contact_id": contact_id}).first()
    return survey(row) if row is not None and row.status == ConversationStatus.EXPIRED else None


def by_id(survey_id: int) -> Any:
    """A conversation's row: the survey's columns, its channel, contact and project ids, its
    channel's actor (`channel_actor_id`, the submitter), its instance (to ingest) and the
    instanceID it was stored as."""
    return _run("by_id", {"survey_id": survey_id}).first()


def set_ingested(survey_id: int, *, instance_id: str | None = None,
                 error: str | None = None) -> None:
    """Where a finished survey's instance went: its instanceID, or why ingest refused it."""
    values: dict[str, Any] = {"error": error}
    if instance_id is not None:
        values["instance_id"] = instance_id
    db.session.execute(update(V).where(V.c.id == survey_id).values(**values))


def last_screen(channel_id: int, contact_id: int) -> str:
    """The last USSD screen sent to this person (a retried hop gets it again)."""
    text = db.session.scalar(select(M.c.text).where(
        M.c.channel_id == channel_id, M.c.contact_id == contact_id, M.c.direction == "out")
        .order_by(M.c.id.desc()).limit(1))
    return text or "END"


# --- writing ---------------------------------------------------------------------------------

def insert(survey: Survey, *, project_id: int, channel_id: int, contact_id: int,
           now: datetime, values: dict[str, Any]) -> int:
    """A new conversation with its first state; -> its id (one INSERT)."""
    survey.id = db.session.scalar(V.insert().values({
        "project_id": project_id, "channel_id": channel_id, "contact_id": contact_id,
        "form_id": survey.form_id, "form_version_id": survey.form_version_id,
        "medium": survey.medium, "session_key": survey.session_key, "started_at": now,
        "version": 1, "state": {}, "status": ConversationStatus.ACTIVE, "last_activity_at": now,
        **values,
    }).returning(V.c.id))
    survey.version = 1
    return survey.id


def save(survey: Survey, values: dict[str, Any]) -> None:
    """The survey's new values under its version check; StaleDataError when another worker
    wrote it meanwhile (the caller runs the turn again)."""
    params = {"b_id": survey.id, "b_version": survey.version, "version": survey.version + 1,
              **values}
    if _run("save", params).rowcount != 1:
        raise StaleDataError(f"conversation {survey.id} changed meanwhile")
    survey.version += 1


def store_messages(rows: list[dict[str, Any]]) -> list[tuple[int, str]] | None:
    """The turn's inbound and replies in one INSERT ... VALUES (...), (...) RETURNING; None when
    the inbound's provider id was stored before (a provider's retry: the caller rolls back)."""
    # Several rows: one INSERT ... VALUES (...), (...) RETURNING ("insertmanyvalues").
    stored = _run("store", rows if len(rows) > 1 else rows[0]).all()
    if rows[0]["direction"] == "in" and not any(d == "in" for _, d in stored):
        return None
    return [(message_id, direction) for message_id, direction in stored]


def message_row(*, project_id: int, channel_id: int, contact_id: int,
                conversation_id: int | None, direction: str, text: str, status: str,
                now: datetime, provider_id: str | None = None,
                provider_status: str | None = None) -> dict[str, Any]:
    """One row for `store_messages`."""
    return {"project_id": project_id, "channel_id": channel_id, "contact_id": contact_id,
            "conversation_id": conversation_id, "direction": direction, "text": text,
            "status": status, "provider_message_id": provider_id or None,
            "provider_status": provider_status, "attempts": 0, "created_at": now,
            "status_at": now}


def purge(survey_id: int, now: datetime) -> None:
    """A sensitive survey stored, or a declined one: its answers and message texts go, its
    messages' delivery statuses stay. A reply still to be sent keeps its text until it goes
    (`blank_sent`)."""
    db.session.execute(update(V).where(V.c.id == survey_id).values(
        state={}, instance_xml=None, purged_at=now))
    db.session.execute(update(M).where(
        M.c.conversation_id == survey_id, M.c.text != "",
        ~((M.c.direction == "out") & M.c.status.in_(UNSENT))).values(text=""))


def blank_sent(message_id: int) -> None:
    """A reply of a purged survey has gone: its text goes too (one statement, by key)."""
    db.session.execute(update(M).where(
        M.c.id == message_id, M.c.conversation_id.in_(
            select(V.c.id).where(V.c.id == M.c.conversation_id, V.c.purged_at.is_not(None))))
        .values(text=""))


def mark_simulated(survey_id: int) -> None:
    db.session.execute(update(V).where(V.c.id == survey_id).values(session_key=SIMULATOR))


def idle(cutoff: datetime) -> list[int]:
    """Open SMS and WhatsApp surveys with a form, silent since `cutoff`."""
    return list(db.session.scalars(select(V.c.id).where(
        V.c.status == ConversationStatus.ACTIVE, V.c.medium.in_(("sms", "whatsapp")),
        V.c.form_id.is_not(None),
        V.c.last_activity_at < cutoff).order_by(V.c.id)))


def waiting_for_media(limit: int = 100) -> list[int]:
    """Finished WhatsApp surveys not stored yet because a photo or note could not be fetched
    (a later try may succeed)."""
    return list(db.session.scalars(select(V.c.id).where(
        V.c.completed_at.is_not(None), V.c.instance_id.is_(None), V.c.purged_at.is_(None),
        V.c.error.like(f"{MEDIA_ERROR}%")).order_by(V.c.id).limit(limit)))


def last_inbound(channel_id: int, contact_id: int) -> datetime | None:
    """When this person last wrote to this channel (WhatsApp's 24-hour session starts then)."""
    return db.session.scalar(select(func.max(M.c.created_at)).where(
        M.c.channel_id == channel_id, M.c.contact_id == contact_id, M.c.direction == "in"))


# --- the forms a text may open -----------------------------------------------------------------

def _forms(project_id: int) -> Any:
    """Published, live forms of a project (with their current version), in creation order."""
    return (select(F.c.id, F.c.xml_form_id, F.c.sms_keyword, FV.c.id.label("version_id"),
                   FV.c.sha256, FV.c.name, FV.c.conversation)
            .join(FV, FV.c.id == F.c.current_version_id)
            .where(F.c.project_id == project_id, F.c.deleted_at.is_(None)).order_by(F.c.id))


def _refs(query: Any) -> list[FormRef]:
    return [FormRef(r.id, r.xml_form_id, r.sms_keyword, r.version_id, r.sha256, r.name,
                    r.conversation) for r in db.session.execute(query)]


def form_by_xml_id(project_id: int, xml_form_id: str) -> FormRef | None:
    """A published, live form of the project by its xmlFormId."""
    found = _refs(_forms(project_id).where(F.c.xml_form_id == xml_form_id))
    return found[0] if found else None


def keyword_forms(project_id: int) -> list[FormRef]:
    """The project's open forms that have an SMS keyword."""
    return _refs(_forms(project_id).where(F.c.sms_keyword.is_not(None),
                                          F.c.state != FormState.CLOSED))


def menu_forms(project_id: int, ids: list[int] | None = None) -> list[FormRef]:
    """The project's open forms (a USSD menu), or those of `ids` still published, in order."""
    query = _forms(project_id)
    if ids is None:
        return _refs(query.where(F.c.state != FormState.CLOSED))
    by_id = {f.id: f for f in _refs(query.where(F.c.id.in_(ids)))}
    return [by_id[i] for i in ids if i in by_id]

"""Contacts: people who text a project, found by the keyed hash of their number. Every
statement on a contact row is here, written once (Core, PostgreSQL and SQLite alike)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from app import crypto, problems, sql
from app.extensions import db
from app.models import Contact, Conversation
from app.models.base import utcnow
from sms_flows.providers.base import BadPayload, e164
from sms_flows.types import ConversationStatus

C = Contact.__table__
V = Conversation.__table__


@dataclass
class Person:
    """A contact as the SMS paths see it."""

    id: int
    language: str | None
    opted_out_at: datetime | None
    created: bool = False  # by this transaction: ours alone until commit, nothing to lock
    erasure_requested_at: datetime | None = None  # a DELETE awaiting their confirmation


_COLUMNS = (C.c.id, C.c.language, C.c.opted_out_at, C.c.erasure_requested_at)


def _person(row: Any) -> Person:
    return Person(row.id, row.language, row.opted_out_at,
                  erasure_requested_at=row.erasure_requested_at)


def normalize(raw: str, field: str = "phone") -> str:
    """E.164 with "+", or a 400 naming the field."""
    try:
        return e164(raw, field)
    except BadPayload as error:
        raise problems.unexpected_value(field, "(redacted)", error.reason) from None


def find(project_id: int, phone: str) -> Person | None:
    """The project's contact for an E.164 number (matched by hash, never by clear text)."""
    row = db.session.execute(select(*_COLUMNS).where(
        C.c.project_id == project_id, C.c.phone_hash == crypto.phone_hash(phone))).first()
    return _person(row) if row is not None else None


def find_or_create(project_id: int, phone: str) -> Person:
    """The contact for this number, created on first contact (safe under concurrency).

    A contact created here is invisible to other transactions until commit (one inserting the
    same number waits on the unique index, then finds ours), so the caller holds it alone.
    """
    return find(project_id, phone) or create(project_id, phone)


def create(project_id: int, phone: str) -> Person:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING: one statement, no savepoint; the existing
    contact when another worker created it between our read and this insert."""
    contact_id = db.session.scalar(sql.insert_or_skip(C, ["project_id", "phone_hash"]).values(
        project_id=project_id, phone_hash=crypto.phone_hash(phone),
        phone_encrypted=crypto.encrypt(phone), created_at=utcnow()).returning(C.c.id))
    if contact_id is None:
        found = find(project_id, phone)
        assert found is not None
        return found
    return Person(contact_id, None, None, created=True)


def lock(contact_id: int) -> Person:
    """The contact, locked until commit (PostgreSQL); one person's texts go one by one.

    FOR NO KEY UPDATE, not FOR UPDATE: inserting a message (a foreign key to this row) holds
    FOR KEY SHARE on it, which FOR UPDATE would wait on, deadlocking two workers; NO KEY
    UPDATE still excludes the other worker's NO KEY UPDATE.
    """
    row = db.session.execute(select(*_COLUMNS).where(C.c.id == contact_id)
                             .with_for_update(key_share=True)).one()
    return _person(row)


def phone_of(contact_id: int) -> str:
    """The clear number, only to reply or to serve a manager who asked by number."""
    return crypto.decrypt(db.session.scalar(select(C.c.phone_encrypted)
                                            .where(C.c.id == contact_id)))


def set_language(contact_id: int, language: str) -> None:
    db.session.execute(update(C).where(C.c.id == contact_id).values(language=language))


def opt_out(contact_id: int, now: datetime | None = None) -> None:
    """Nothing is sent to this person again until they text START; open surveys stop."""
    now = now or utcnow()
    db.session.execute(update(C).where(C.c.id == contact_id, C.c.opted_out_at.is_(None))
                       .values(opted_out_at=now, updated_at=now))
    db.session.execute(update(V).where(V.c.contact_id == contact_id,
                                       V.c.status == ConversationStatus.ACTIVE)
                       .values(status=ConversationStatus.OPTED_OUT, last_activity_at=now,
                               version=V.c.version + 1))


def opt_in(contact_id: int, now: datetime | None = None) -> None:
    db.session.execute(update(C).where(C.c.id == contact_id)
                       .values(opted_out_at=None, updated_at=now or utcnow()))


def clear_numbers_allowed(settings: dict | None) -> bool:
    """Whether a project lets its managers see citizens' numbers in clear (project settings
    `allowPhoneNumbers`; `allow_phone_numbers` is the pipeline's older spelling)."""
    settings = settings or {}
    return bool(settings.get("allowPhoneNumbers") or settings.get("allow_phone_numbers"))


def masked(phone: str) -> str:
    """+254712345678 -> +2547••••••78: enough to tell people apart, not to call them."""
    if len(phone) <= 6:
        return "•" * len(phone)
    return phone[:5] + "•" * (len(phone) - 7) + phone[-2:]

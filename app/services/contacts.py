"""Contacts: people who text a project, found by the keyed hash of their number."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app import crypto, problems
from app.extensions import db
from app.models import Contact, Conversation
from app.models.base import utcnow
from sms_flows.providers.base import BadPayload, e164


def normalize(raw: str, field: str = "phone") -> str:
    """E.164 with "+", or a 400 naming the field."""
    try:
        return e164(raw, field)
    except BadPayload as error:
        raise problems.unexpected_value(field, "(redacted)", error.reason) from None


def find_contact(project_id: int, phone: str) -> Contact | None:
    """The project's contact for an E.164 number (matched by hash, never by clear text)."""
    return db.session.scalar(select(Contact).where(
        Contact.project_id == project_id, Contact.phone_hash == crypto.phone_hash(phone)))


def get_or_create(project_id: int, phone: str) -> Contact:
    """The contact for this number, created on first contact (safe under concurrency)."""
    return find_or_create(project_id, phone)[0]


def find_or_create(project_id: int, phone: str) -> tuple[Contact, bool]:
    """The contact for this number and whether this transaction just created it.

    A contact created here is invisible to other transactions until commit (one inserting
    the same number waits on the unique index, then finds ours), so the caller holds it
    alone: no lock to take, no conversation to look for.
    """
    contact = find_contact(project_id, phone)
    if contact is not None:
        return contact, False
    # One INSERT ... ON CONFLICT DO NOTHING RETURNING the row (no savepoint round trips).
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    contact = db.session.scalars(insert(Contact).values(
        project_id=project_id, phone_hash=crypto.phone_hash(phone),
        phone_encrypted=crypto.encrypt(phone), created_at=utcnow(),
    ).on_conflict_do_nothing(index_elements=["project_id", "phone_hash"]).returning(Contact)
    ).first()
    if contact is None:
        # Another worker created it between our select and insert: (project, hash) is unique.
        contact = find_contact(project_id, phone)
        assert contact is not None
        return contact, False
    return contact, True


def lock(contact_id: int) -> Contact:
    """The contact row, locked until commit (PostgreSQL); one person's texts go one by one.

    FOR NO KEY UPDATE, not FOR UPDATE: inserting the inbound message (a foreign key to this
    row) already holds FOR KEY SHARE on it, which FOR UPDATE would wait on, deadlocking two
    workers; NO KEY UPDATE still excludes the other worker's NO KEY UPDATE.
    """
    return db.session.scalars(select(Contact).where(Contact.id == contact_id)
                              .with_for_update(key_share=True)
                              .execution_options(populate_existing=True)).one()


def phone_of(contact: Contact) -> str:
    """The clear number, only to reply or to serve a manager who asked by number."""
    return crypto.decrypt(contact.phone_encrypted)


def opt_out(contact: Contact, now: datetime | None = None) -> None:
    """Nothing is sent to this person again until they text START; open surveys stop."""
    now = now or utcnow()
    if contact.opted_out_at is None:
        contact.opted_out_at = now
        contact.updated_at = now
    db.session.execute(update(Conversation).where(
        Conversation.contact_id == contact.id, Conversation.status == "active"
    ).values(status="opted-out", last_activity_at=now, version=Conversation.version + 1)
        .execution_options(synchronize_session="fetch"))


def opt_in(contact: Contact, now: datetime | None = None) -> None:
    contact.opted_out_at = None
    contact.updated_at = now or utcnow()

"""Rows that came from another server, by their id there: each arrives exactly once.

A scope names the other server: "link:{id}" for a field office's link (central side),
"import:{url}#{project}" for an ODK Central project being moved in. The mapping is a unique
row in `sync_ids`, written in the same transaction as the row it points at.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Actor, SyncId


def link_scope(link_id: int) -> str:
    return f"link:{link_id}"


def import_scope(url: str, project_id: int) -> str:
    return f"import:{url.rstrip('/')}#{project_id}"[:300]


def local_id(scope: str, kind: str, remote_id: object) -> int | None:
    return db.session.scalar(select(SyncId.local_id).where(
        SyncId.scope == scope, SyncId.kind == kind, SyncId.remote_id == str(remote_id)))


def remember(scope: str, kind: str, remote_id: object, local: int) -> None:
    """Add the mapping to the session (the caller commits it with the row it maps to)."""
    db.session.add(SyncId(scope=scope, kind=kind, remote_id=str(remote_id), local_id=local))


def remote_actor(scope: str, remote_id: object, name: str) -> int:
    """The local actor standing for a person of the other server (type `remote`: named in
    exports and listings, never able to log in); created and committed on first sight."""
    found = local_id(scope, "actor", remote_id)
    if found is not None:
        return found
    actor = Actor(type="remote", display_name=(name or f"#{remote_id}")[:255])
    db.session.add(actor)
    db.session.flush()
    remember(scope, "actor", remote_id, actor.id)
    try:
        db.session.commit()
    except IntegrityError:  # another request mapped it first
        db.session.rollback()
        found = local_id(scope, "actor", remote_id)
        assert found is not None
        return found
    return actor.id

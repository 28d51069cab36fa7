"""Sync links (central side): project-scoped, revocable credentials for field offices.

A link is an actor of its own type (`sync_link`), so everything it stores is attributed to it
and its rights are the `sync` role's verbs on one project (app.services.permissions). Its
token is shown once and kept as a SHA-256; revoking drops the hash and deletes the actor, so
the next request with the token is refused.
"""
from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import or_, select, update

from app.extensions import db
from app.models import Actor, SyncLink
from app.models.base import utcnow
from app.services import credentials
from app.services.accounts import hash_token

# Last contact is written at most this often per link: a sync run makes many requests.
CONTACT_RESOLUTION = timedelta(seconds=30)


def create_link(project_id: int, display_name: str,
                created_by: int | None) -> tuple[SyncLink, str]:
    """A new link and its token (returned now, never again)."""
    actor = credentials.new_actor("sync_link", display_name)
    # Hex (256 bits): pasted on a command line, a token must never start with "-".
    token = secrets.token_hex(32)
    link = credentials.issue(SyncLink, actor, project_id, created_by, token,
                             created_at=actor.created_at, cursor=0, received=0)
    return link, token


def list_links(project_id: int) -> list[SyncLink]:
    """Live links of a project, oldest first (revoked ones are gone, as app users)."""
    return list(db.session.scalars(
        select(SyncLink).where(SyncLink.project_id == project_id,
                               SyncLink.revoked_at.is_(None)).order_by(SyncLink.actor_id)))


def get_link(project_id: int, actor_id: int) -> SyncLink:
    """A live link of this project, else 404 (never another project's)."""
    return credentials.live(SyncLink, project_id, actor_id)


def revoke(link: SyncLink) -> None:
    """The token stops working at once (app.services.credentials)."""
    credentials.revoke(link)


def link_actor(token: str) -> Actor | None:
    """The actor of the live link with this token, or None."""
    link = db.session.scalar(select(SyncLink).where(SyncLink.token_hash == hash_token(token)))
    if link is None or link.revoked_at is not None:
        return None
    return link.actor if link.actor.deleted_at is None else None


def touch(link: SyncLink) -> None:
    """Record contact in its own transaction (a refused or read-only request commits
    nothing), at most once per CONTACT_RESOLUTION."""
    now = utcnow()
    table = SyncLink.__table__
    with db.engine.begin() as connection:
        connection.execute(update(table).where(
            table.c.actor_id == link.actor_id,
            or_(table.c.last_contact_at.is_(None),
                table.c.last_contact_at < now - CONTACT_RESOLUTION)
        ).values(last_contact_at=now))


def link_url(public_url: str, project_id: int) -> str:
    """What a field office pairs with (`flask sync pair URL TOKEN`): the project's API URL."""
    return f"{public_url.rstrip('/')}/v1/projects/{project_id}"


def pairing_url(public_url: str, project_id: int, token: str) -> str:
    """The same with the token in it (`/v1/key/{token}/projects/{pid}`, as Central's app-user
    URLs): one thing to paste, or scan as a QR code, at the office (`flask sync pair URL`,
    or the Sync page's URL field). Shown once, with the token."""
    return f"{public_url.rstrip('/')}/v1/key/{token}/projects/{project_id}"

"""Project-scoped token credentials (app users, sync links): the issuing, lookup and
revocation both kinds share. Each holder row has `project_id`, `token_hash`, `revoked_at`
and `actor`."""
from __future__ import annotations

from typing import Any, TypeVar

from app import problems
from app.extensions import db
from app.models import Actor
from app.models.base import utcnow
from app.services.accounts import hash_token

Holder = TypeVar("Holder")


def new_actor(actor_type: str, display_name: str) -> Actor:
    """The actor a new credential acts as, flushed so that it has its id."""
    actor = Actor(type=actor_type, display_name=display_name.strip())
    db.session.add(actor)
    db.session.flush()
    return actor


def issue(model: type[Holder], actor: Actor, project_id: int, created_by: int | None,
          token: str, **columns: Any) -> Holder:
    """A new holder row for `actor` on the project; only the token's hash is stored."""
    holder = model(actor_id=actor.id, project_id=project_id, token_hash=hash_token(token),
                   created_by=created_by, **columns)
    db.session.add(holder)
    db.session.flush()
    return holder


def live(model: type[Holder], project_id: int, actor_id: int) -> Holder:
    """A live holder of this project, else 404 (never another project's)."""
    holder = db.session.get(model, actor_id)
    if holder is None or holder.project_id != project_id or holder.revoked_at is not None:
        raise problems.not_found()
    return holder


def revoke(holder) -> None:
    """The token stops working at once: its hash is dropped and the actor deleted."""
    now = utcnow()
    holder.revoked_at = now
    holder.token_hash = None
    holder.actor.deleted_at = now
    db.session.flush()

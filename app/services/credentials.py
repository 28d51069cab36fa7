"""Project-scoped token credentials (app users, sync links): the lookup and the revocation
both kinds share. Each holder row has `project_id`, `token_hash`, `revoked_at` and `actor`."""
from __future__ import annotations

from typing import TypeVar

from app import problems
from app.extensions import db
from app.models.base import utcnow

Holder = TypeVar("Holder")


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

"""Recomputing an indicator after it is declared or changed: an RQ job on the pipeline's
bulk queue (workers take it after fresh submissions), queued once the declaring transaction
commits; with no REDIS_URL, at once, inside that transaction."""
from __future__ import annotations

import logging
from collections.abc import Iterable

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from app import queues
from app.extensions import db
from app.indicators import contributions

log = logging.getLogger(__name__)
_PENDING = "indicator_rebuilds"


def rebuild_later(indicator_ids: Iterable[int]) -> None:
    """Recompute these indicators over their forms' submissions once the caller commits.
    Should Redis be down then, `flask indicators rebuild` catches up (rows stay marked
    `rebuilding`)."""
    ids = list(indicator_ids)
    if queues.redis_url() is None:
        for indicator_id in ids:
            contributions.rebuild(indicator_id, commit=False)
        return
    db.session.info.setdefault(_PENDING, []).extend(ids)


@sa_event.listens_for(Session, "after_commit")
def _queue_after_commit(session: Session) -> None:
    ids = session.info.pop(_PENDING, None)
    if not ids:
        return
    for indicator_id in ids:
        try:
            queues.queue(queues.BULK).enqueue(
                rebuild, indicator_id, job_id=queues.job_id("indicator", indicator_id),
                job_timeout=3600, result_ttl=600,
                description=f"rebuild indicator {indicator_id}")
        except Exception:
            log.exception("could not queue the rebuild of indicator %s; run `flask "
                          "indicators rebuild`", indicator_id)


@sa_event.listens_for(Session, "after_soft_rollback")
def _forget_after_rollback(session: Session, _previous_transaction) -> None:
    session.info.pop(_PENDING, None)


def rebuild(indicator_id: int) -> str:
    """The RQ job: recompute one indicator inside the app."""
    with queues.job_context():
        try:
            return f"{contributions.rebuild(indicator_id)} submissions"
        finally:
            db.session.remove()

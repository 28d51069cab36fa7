"""Every statement on the pipeline outbox (the pipeline's real queue), in one place.

Ingest writes rows in the submission's own transaction (`insert_step`, part of its one write);
the pipeline claims, locks and marks them; operators count and re-send them.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, bindparam, func, insert, literal, or_, select, update

from app.extensions import db
from app.models import PipelineOutbox
from app.models.base import utcnow
from app.queues import BULK, FRESH

T = PipelineOutbox.__table__
BATCH = 1000  # ids read at once while walking the table


class Event(StrEnum):
    """Why a submission version needs the pipeline."""

    CREATED = "submission.created"
    UPDATED = "submission.updated"
    REPROCESS = "submission.reprocess"
    RETAG = "submission.retag"


# Re-processing goes to the bulk queue, which workers take after fresh submissions.
BULK_EVENTS = frozenset({Event.REPROCESS, Event.RETAG})


def kind_for(event: str) -> str:
    """The queue (FRESH or BULK) an event's rows belong to."""
    return BULK if event in BULK_EVENTS else FRESH


@dataclass(frozen=True)
class OutboxRow:
    """One unit of pipeline work (outbox_id None: a direct re-run, no outbox row)."""

    outbox_id: int | None
    def_id: int
    event: str = Event.CREATED

    @property
    def fresh(self) -> bool:
        return self.outbox_id is not None and self.event not in BULK_EVENTS


_ROW = (T.c.id, T.c.submission_def_id, T.c.event)


def _rows(result: Iterable[Any]) -> list[OutboxRow]:
    return [OutboxRow(r.id, r.submission_def_id, r.event) for r in result]


def _of_kind(kind: str) -> Any:
    bulk = list(BULK_EVENTS)
    return T.c.event.in_(bulk) if kind == BULK else T.c.event.not_in(bulk)


# --- writing rows ------------------------------------------------------------------------------

def insert_step(def_id: Any) -> Any:
    """The row for one new version, as an INSERT ... SELECT from `def_id` (a column of an
    earlier step of the same write: see app.sql.Write) RETURNING its id; its event and time
    are the parameters `step_params` gives."""
    return insert(T).from_select(
        ["submission_def_id", "event", "created_at", "attempts"],
        select(def_id, bindparam("o_event", type_=T.c.event.type),
               bindparam("o_now", type_=T.c.created_at.type), literal(0)),
    ).returning(T.c.id)


def step_params(event: str, now: datetime) -> dict[str, Any]:
    """The values of `insert_step`'s parameters."""
    return {"o_event": str(event), "o_now": now}


def request(def_ids: Sequence[int], event: str) -> list[int]:
    """One row per version (re-processing, re-tagging), not committed; -> their ids."""
    if not def_ids:
        return []
    now = utcnow()
    return list(db.session.scalars(insert(PipelineOutbox).returning(PipelineOutbox.id), [
        {"submission_def_id": d, "event": str(event), "created_at": now, "attempts": 0}
        for d in def_ids]))


# --- claiming and marking ---------------------------------------------------------------------

def claim_query(kind: str, limit: int, after: int = 0, upto: int | None = None) -> Select:
    """Up to `limit` pending, never-failed rows of a queue with ids in (after, upto], oldest
    first, locked; rows another transaction holds are skipped (PostgreSQL)."""
    query = select(*_ROW).where(T.c.processed_at.is_(None), T.c.attempts == 0, _of_kind(kind))
    if after:
        query = query.where(T.c.id > after)
    if upto is not None:
        query = query.where(T.c.id <= upto)
    return query.order_by(T.c.id).limit(limit).with_for_update(skip_locked=True)


def claim(kind: str, limit: int, after: int = 0, upto: int | None = None) -> list[OutboxRow]:
    """Lock rows for a drain batch (see `claim_query`). A row that failed once (attempts > 0)
    belongs to its own job."""
    return _rows(db.session.execute(claim_query(kind, limit, after, upto)))


def lock(outbox_id: int) -> Any:
    """One row locked (a concurrent drain skips it; this waits for one that has it), with
    `processed_at`; None when there is no such row."""
    return db.session.execute(select(*_ROW, T.c.processed_at).where(T.c.id == outbox_id)
                              .with_for_update()).one_or_none()


def lock_pending(outbox_ids: Sequence[int]) -> list[OutboxRow]:
    """These rows, those still pending, locked, oldest first (inline processing)."""
    return _rows(db.session.execute(select(*_ROW).where(
        T.c.id.in_(list(outbox_ids)), T.c.processed_at.is_(None))
        .order_by(T.c.id).with_for_update()))


def mark_done(outbox_ids: Sequence[int]) -> None:
    db.session.execute(update(T).where(T.c.id.in_(list(outbox_ids))).values(
        processed_at=utcnow(), attempts=T.c.attempts + 1, last_error=None))


def record_failure(outbox_ids: Sequence[int], message: str, *, handed_off: bool) -> None:
    """One more attempt and its error; `handed_off`: a job of its own is being queued now."""
    values: dict[str, Any] = {"attempts": T.c.attempts + 1, "last_error": message}
    if handed_off:
        values["enqueued_at"] = utcnow()
    db.session.execute(update(T).where(T.c.id.in_(list(outbox_ids))).values(**values))


def mark_sent(outbox_ids: Sequence[int]) -> None:
    """Given a job of their own, in a short transaction of its own (the caller's session may
    hold unrelated state)."""
    with db.engine.begin() as connection:
        connection.execute(update(T).where(T.c.id.in_(list(outbox_ids)))
                           .values(enqueued_at=utcnow()))


def reset_attempts(outbox_ids: Sequence[int]) -> None:
    db.session.execute(update(T).where(T.c.id.in_(list(outbox_ids))).values(attempts=0))


# --- reading ---------------------------------------------------------------------------------

def pending(outbox_ids: Iterable[int]) -> list[Any]:
    """(id, event, attempts) of these rows that are still pending."""
    return db.session.execute(select(T.c.id, T.c.event, T.c.attempts).where(
        T.c.id.in_(list(outbox_ids)), T.c.processed_at.is_(None))).all()


def events_of(outbox_ids: Sequence[int]) -> dict[int, str]:
    return dict(db.session.execute(select(T.c.id, T.c.event).where(
        T.c.id.in_(list(outbox_ids)))).all())


def pending_ids(after: int = 0, limit: int = BATCH, *, failed: bool | None = None,
                sent_before: datetime | None = None,
                max_attempts: int | None = None) -> list[int]:
    """Pending rows with ids above `after`, oldest first. `failed`: only rows that failed
    before (True) or never (False); `sent_before`: only those never handed to Redis or handed
    before then; `max_attempts`: only those tried fewer times."""
    query = select(T.c.id).where(T.c.processed_at.is_(None), T.c.id > after)
    if failed is not None:
        query = query.where(T.c.attempts > 0 if failed else T.c.attempts == 0)
    if sent_before is not None:
        query = query.where(or_(T.c.enqueued_at.is_(None), T.c.enqueued_at < sent_before))
    if max_attempts is not None:
        query = query.where(T.c.attempts < max_attempts)
    return list(db.session.scalars(query.order_by(T.c.id).limit(limit)))


def count_pending(kind: str | None = None, *, fresh_only: bool = False,
                  min_attempts: int | None = None) -> int:
    """Pending rows, of one queue (`kind`), never failed (`fresh_only`) or tried at least
    `min_attempts` times."""
    query = select(func.count()).select_from(T).where(T.c.processed_at.is_(None))
    if kind is not None:
        query = query.where(_of_kind(kind))
    if fresh_only:
        query = query.where(T.c.attempts == 0)
    if min_attempts is not None:
        query = query.where(T.c.attempts >= min_attempts)
    return db.session.scalar(query) or 0


def failed_rows(min_attempts: int) -> list[PipelineOutbox]:
    """Pending rows tried `min_attempts` times or more (inline mode's failed ones)."""
    return list(db.session.scalars(select(PipelineOutbox).where(
        PipelineOutbox.processed_at.is_(None), PipelineOutbox.attempts >= min_attempts)
        .order_by(PipelineOutbox.id)))


def latest_for(def_id: int) -> PipelineOutbox | None:
    """The newest row of a submission version (where it stands in the pipeline now)."""
    return db.session.scalars(select(PipelineOutbox).where(
        PipelineOutbox.submission_def_id == def_id).order_by(PipelineOutbox.id.desc())
        .limit(1)).first()


def waiting_for(def_id_column: Any) -> Any:
    """EXISTS a pending row for the version in `def_id_column` (a correlated column)."""
    return select(T.c.id).where(T.c.submission_def_id == def_id_column,
                                T.c.processed_at.is_(None)).exists()

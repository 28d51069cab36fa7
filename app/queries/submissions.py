"""A page of a form's submissions for people to browse: keyset pagination (never OFFSET), so
the 500th page of 100,000 costs what the first does; the same filters as the exports."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, select, tuple_

from app.exports.queries import Filters, filter_clauses
from app.extensions import db
from app.models import Actor, CleanedRecord, SdgTag, Submission, SubmissionDef


@dataclass(frozen=True)
class Cursor:
    """A row's place in the newest-first order: (created_at, id)."""

    created_at: datetime
    id: int

    def encode(self) -> str:
        return f"{self.created_at.isoformat()}~{self.id}"

    @classmethod
    def decode(cls, text: str | None) -> Cursor | None:
        if not text:
            return None
        when, _, ident = text.rpartition("~")
        try:
            return cls(datetime.fromisoformat(when), int(ident))
        except ValueError:
            return None


@dataclass
class Page:
    rows: list  # (Submission, SubmissionDef, submitter display name)
    total: int
    newer: Cursor | None  # cursor for the page before (None on the first page)
    older: Cursor | None  # cursor for the page after (None on the last page)


def page(form_id: int, filters: Filters, *, after: Cursor | None = None,
         before: Cursor | None = None, size: int = 50, count: bool = True) -> Page:
    """Current, non-deleted submissions of a form, newest first, `size` at a time: those
    older than `after`, or (`before`) the page just newer than it."""
    base = (select(Submission, SubmissionDef, Actor.display_name)
            .join(SubmissionDef, and_(SubmissionDef.submission_id == Submission.id,
                                      SubmissionDef.current.is_(True)))
            .outerjoin(Actor, Actor.id == Submission.submitter_id)
            .where(Submission.form_id == form_id, Submission.deleted_at.is_(None),
                   *filter_clauses(form_id, filters)))
    key = tuple_(Submission.created_at, Submission.id)
    if before is not None:
        query = base.where(key > tuple_(before.created_at, before.id)).order_by(
            Submission.created_at.asc(), Submission.id.asc()).limit(size + 1)
        rows = list(db.session.execute(query))
        more_newer = len(rows) > size
        rows = list(reversed(rows[:size]))
        has_older = True
    else:
        query = base.order_by(Submission.created_at.desc(), Submission.id.desc())
        if after is not None:
            query = query.where(key < tuple_(after.created_at, after.id))
        rows = list(db.session.execute(query.limit(size + 1)))
        has_older = len(rows) > size
        rows = rows[:size]
        more_newer = after is not None
    total = 0
    if count:
        total = _count(form_id, filters, base)
    first, last = (rows[0][0], rows[-1][0]) if rows else (None, None)
    return Page(rows=rows, total=total,
                newer=Cursor(first.created_at, first.id) if first and more_newer else None,
                older=Cursor(last.created_at, last.id) if last and has_older else None)


def _count(form_id: int, filters: Filters, base) -> int:
    """How many submissions match. Without a filter on the version (form version, SDG tags)
    the count reads the submissions alone (their form index), not the join with every
    current version: on 100,000 rows that is most of the page's time."""
    if filters.form_version is None and not filters.sdg:
        query = (select(func.count(Submission.id))
                 .where(Submission.form_id == form_id, Submission.deleted_at.is_(None),
                        *filter_clauses(form_id, filters)))
    else:
        query = base.with_only_columns(func.count(Submission.id)).order_by(None)
    return db.session.scalar(query) or 0


def sdg_tags(def_id: int) -> list[SdgTag]:
    """The SDG tags of one submission version: the form's mapping first, then suggestions."""
    return list(db.session.scalars(select(SdgTag).where(SdgTag.submission_def_id == def_id)
                                   .order_by(SdgTag.source, SdgTag.goal, SdgTag.target,
                                             SdgTag.indicator, SdgTag.field)))


def cleaned(def_id: int) -> CleanedRecord | None:
    """What the pipeline made of one submission version (record, quality flags), if it ran."""
    return db.session.scalar(select(CleanedRecord).where(
        CleanedRecord.submission_def_id == def_id))

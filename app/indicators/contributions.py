"""Keep every indicator's contributions and cells current, incrementally.

Three writers, each inside its caller's transaction:
- `apply(def_ids)`: the pipeline's batch (new and edited versions) computes each current
  version's contribution to its form's indicators;
- `review_changed(submission_id, state)`: a review moves the submission's contributions to
  the new state;
- `rebuild(indicator_id)`: a new or changed indicator recomputes its form's submissions.

Each compares what it computed with the stored row and writes only the difference: the
contribution row (upsert or delete) and the cells it leaves and joins (+/- n, num, num2,
one upsert per batch). The submissions' rows are locked first (in id order) so a review
and a pipeline batch on the same submission serialise and neither writes a stale state.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from defusedxml.ElementTree import fromstring
from sqlalchemy import delete, select, tuple_, update

from app import sql
from app.extensions import db
from app.indicators.binding import bound_for
from app.models import (
    DIMENSION_COLUMNS,
    Form,
    FormVersion,
    Indicator,
    IndicatorCell,
    IndicatorContribution,
    Submission,
    SubmissionDef,
)
from forms.indicators import BoundIndicator, Contribution, EvaluationError, contribution
from forms.indicators.evaluate import parents_of
from forms.review import ReviewState

log = logging.getLogger(__name__)
REBUILD_CHUNK = 500
_EMPTY = ""  # a missing dimension value, as stored


@dataclass(frozen=True)
class _Version:
    """One current submission version, with what placing it needs."""

    def_id: int
    submission_id: int
    form_id: int
    form_version_id: int
    xml: str
    channel: str
    review_state: str
    received: date


def apply(def_ids: Sequence[int]) -> None:
    """The pipeline's hook: these versions' results are being saved (same transaction)."""
    if not def_ids:
        return
    indicators = list(db.session.scalars(select(Indicator).where(Indicator.form_id.in_(
        select(SubmissionDef.form_id).where(SubmissionDef.id.in_(list(def_ids)))))
        .order_by(Indicator.id)))
    if not indicators:
        return
    versions = _versions(SubmissionDef.id.in_(list(def_ids)), {i.form_id for i in indicators})
    _recompute(versions, indicators)


def review_changed(submission_id: int, state: str | None) -> None:
    """A review decision: the submission's contributions move to the new state."""
    state = state or ReviewState.RECEIVED
    rows = list(db.session.execute(select(IndicatorContribution).where(
        IndicatorContribution.submission_id == submission_id,
        IndicatorContribution.review_state != state).with_for_update()).scalars())
    if not rows:
        return
    deltas: dict[tuple, list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
    for row in rows:
        _add(deltas, row.indicator_id, row.month, row.review_state, _dims_of(row), row, -1)
        _add(deltas, row.indicator_id, row.month, state, _dims_of(row), row, +1)
    db.session.execute(update(IndicatorContribution).where(
        IndicatorContribution.submission_id == submission_id).values(review_state=state))
    _write_cells(deltas)


def rebuild(indicator_id: int, *, commit: bool = True) -> int:
    """Recompute one indicator over its form's submissions, a chunk per transaction (or
    all in the caller's, without `commit`); -> submissions looked at. Harmless to run
    twice or beside the pipeline."""
    indicator = db.session.get(Indicator, indicator_id)
    if indicator is None:
        return 0
    form_id = indicator.form_id
    seen, after = 0, 0
    while True:
        ids = list(db.session.scalars(select(Submission.id).where(
            Submission.form_id == form_id, Submission.id > after,
            Submission.deleted_at.is_(None)).order_by(Submission.id).limit(REBUILD_CHUNK)))
        if not ids:
            break
        versions = _versions(Submission.id.in_(ids), {form_id})
        _recompute(versions, [i for i in _indicators({form_id}) if i.id == indicator_id])
        if commit:
            db.session.commit()
        seen += len(ids)
        after = ids[-1]
    db.session.execute(update(Indicator).where(Indicator.id == indicator_id)
                       .values(rebuilding=False))
    if commit:
        db.session.commit()
    return seen


def forget(submission_ids: Sequence[int]) -> None:
    """These submissions leave every indicator (an erasure): their contributions are
    deleted and the cells they were in lose them, in the caller's transaction. Deleting the
    submission (deleted_at) keeps the pipeline from counting it again."""
    ids = list(submission_ids)
    if not ids:
        return
    rows = list(db.session.scalars(select(IndicatorContribution).where(
        IndicatorContribution.submission_id.in_(ids)).with_for_update()))
    deltas: dict[tuple, list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
    for row in rows:
        _add(deltas, row.indicator_id, row.month, row.review_state, _dims_of(row), row, -1)
    db.session.execute(delete(IndicatorContribution).where(
        IndicatorContribution.submission_id.in_(ids)))
    _write_cells(deltas)


def clear(indicator_id: int) -> None:
    """Drop an indicator's contributions and cells (before deleting it)."""
    db.session.execute(delete(IndicatorCell).where(IndicatorCell.indicator_id == indicator_id))
    db.session.execute(delete(IndicatorContribution).where(
        IndicatorContribution.indicator_id == indicator_id))


# --- computing ---------------------------------------------------------------------------

def _indicators(forms: Iterable[int]) -> list[Indicator]:
    return list(db.session.scalars(select(Indicator).where(
        Indicator.form_id.in_(list(forms))).order_by(Indicator.id)))


def _versions(where, forms: set[int]) -> list[_Version]:  # noqa: ANN001
    """Current versions matching `where`, their submissions locked in id order."""
    query = (select(SubmissionDef.id, SubmissionDef.submission_id, Submission.form_id,
                    SubmissionDef.form_version_id, SubmissionDef.xml, Submission.channel,
                    Submission.review_state, Submission.created_at)
             .join(Submission, Submission.id == SubmissionDef.submission_id)
             .where(where, SubmissionDef.current.is_(True), Submission.form_id.in_(forms),
                    Submission.deleted_at.is_(None),
                    # A simulated conversation stored for a try-out is not data.
                    Submission.channel.not_like("simulated-%"))
             .order_by(Submission.id))
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(of=Submission)
    return [_Version(r[0], r[1], r[2], r[3], r[4], r[5], r[6] or ReviewState.RECEIVED, r[7].date())
            for r in db.session.execute(query)]


def _recompute(versions: list[_Version], indicators: list[Indicator]) -> None:
    if not versions or not indicators:
        return
    bound = _bind_all(indicators, {v.form_version_id for v in versions})
    computed: dict[tuple[int, int], tuple[_Version, Contribution | None]] = {}
    errors: dict[int, list[str]] = defaultdict(list)
    for version in versions:
        try:
            root = fromstring(version.xml.encode("utf-8"), forbid_dtd=True)
        except Exception as error:  # stored XML parsed at ingest; never expected
            for ind in indicators:
                errors[ind.id].append(f"{version.def_id}: {error}")
            continue
        parents = parents_of(root)
        for ind in indicators:
            if ind.form_id != version.form_id:
                continue
            compiled = bound.get((ind.id, version.form_version_id))
            if compiled is None:
                continue
            try:
                value = contribution(compiled, root, received=version.received,
                                     channel=version.channel, parents=parents)
            except EvaluationError as error:
                errors[ind.id].append(f"{version.def_id}: {error}")
                value = None
            computed[(ind.id, version.submission_id)] = (version, value)
    _store(computed, {i.id: i.revision for i in indicators})
    for indicator_id, messages in errors.items():
        db.session.execute(update(Indicator).where(Indicator.id == indicator_id).values(
            errors=Indicator.errors + len(messages), last_error=messages[-1][:2000]))


def _bind_all(indicators: list[Indicator], version_ids: set[int]
              ) -> dict[tuple[int, int], BoundIndicator]:
    """Each indicator compiled for each form version in play; a version lacking one of its
    questions uses the form's current version's paths (absent nodes then read empty)."""
    forms = {i.form_id for i in indicators}
    current = dict(db.session.execute(select(Form.id, Form.current_version_id).where(
        Form.id.in_(forms))).all())
    wanted = version_ids | {v for v in current.values() if v is not None}
    versions = {v.id: v for v in db.session.execute(select(
        FormVersion.id, FormVersion.form_id, FormVersion.sha256,
        FormVersion.disaggregation).where(FormVersion.id.in_(wanted)))}

    def xml_of(version_id: int):  # noqa: ANN202
        return lambda: db.session.scalar(select(FormVersion.xml).where(
            FormVersion.id == version_id))

    out: dict[tuple[int, int], BoundIndicator] = {}
    for ind in indicators:
        fallback = versions.get(current.get(ind.form_id) or -1)
        for version_id in version_ids:
            version = versions.get(version_id)
            if version is None or version.form_id != ind.form_id:
                continue
            compiled = None
            for candidate in (version, fallback):
                if candidate is not None and compiled is None:
                    compiled = bound_for(ind.definition, candidate.sha256,
                                         xml_of(candidate.id), candidate.disaggregation or {})
            if compiled is not None:
                out[(ind.id, version_id)] = compiled
    return out


# --- writing the difference ----------------------------------------------------------------

def _dims_of(row) -> tuple[str, ...]:  # noqa: ANN001
    return tuple(getattr(row, c) for c in DIMENSION_COLUMNS)


def _stored_dims(dims: tuple[str | None, ...]) -> tuple[str, ...]:
    padded = [d if d is not None else _EMPTY for d in dims]
    return tuple(padded + [_EMPTY] * (len(DIMENSION_COLUMNS) - len(padded)))


def _add(deltas: dict[tuple, list[float]], indicator_id: int, month: int, state: str,
         dims: tuple[str, ...], value, sign: int) -> None:  # noqa: ANN001
    cell = deltas[(indicator_id, month, state, *dims)]
    cell[0] += sign
    cell[1] += sign * value.num
    cell[2] += sign * value.num2


def _store(computed: dict[tuple[int, int], tuple[_Version, Contribution | None]],
           revisions: dict[int, int]) -> None:
    if not computed:
        return
    keys = list(computed)
    table = IndicatorContribution.__table__
    # Core rows, not ORM objects: a batch reads and writes hundreds of them.
    old = {(r.indicator_id, r.submission_id): r for r in db.session.execute(
        select(table).where(table.c.submission_id.in_({k[1] for k in keys}),
                            table.c.indicator_id.in_({k[0] for k in keys})))}
    deltas: dict[tuple, list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
    inserts, updates, removals = [], [], []
    for key in sorted(keys):
        version, new = computed[key]
        before = old.get(key)
        row = None
        if new is not None:
            row = {"indicator_id": key[0], "submission_id": key[1],
                   "submission_def_id": version.def_id, "revision": revisions[key[0]],
                   "review_state": version.review_state, "month": new.month,
                   **dict(zip(DIMENSION_COLUMNS, _stored_dims(new.dims), strict=True)),
                   "num": new.num, "num2": new.num2, "lat": new.lat, "lon": new.lon}
        if before is not None and row is not None and all(
                getattr(before, name) == value for name, value in row.items()):
            continue
        if before is not None:
            _add(deltas, key[0], before.month, before.review_state, _dims_of(before),
                 before, -1)
        if new is not None:
            _add(deltas, key[0], new.month, version.review_state, _stored_dims(new.dims),
                 new, +1)
            (updates if before is not None else inserts).append(row)
        elif before is not None:
            removals.append(key)
    if removals:
        db.session.execute(delete(table).where(tuple_(
            table.c.indicator_id, table.c.submission_id).in_(removals)))
    if updates:
        keys = ("indicator_id", "submission_id")
        db.session.execute(sql.upsert(table, keys, [n for n in updates[0] if n not in keys]),
                           updates)
    if inserts:
        # New rows: the submissions' locks keep anyone else from writing them meanwhile.
        if not sql.copy_rows(table, inserts):
            db.session.execute(table.insert(), inserts)
    _write_cells(deltas)


def _write_cells(deltas: dict[tuple, list[float]]) -> None:
    """Add the deltas to the cells, one statement, in key order (concurrent writers lock
    the same cells in the same order: no deadlock)."""
    rows = [{"indicator_id": key[0], "month": key[1], "review_state": key[2],
             **dict(zip(DIMENSION_COLUMNS, key[3:], strict=True)),
             "n": int(d[0]), "num": d[1], "num2": d[2]}
            for key, d in sorted(deltas.items()) if d[0] or d[1] or d[2]]
    if not rows:
        return
    db.session.execute(sql.accumulate(
        IndicatorCell.__table__, ("indicator_id", "month", "review_state", *DIMENSION_COLUMNS),
        ("n", "num", "num2")), rows)

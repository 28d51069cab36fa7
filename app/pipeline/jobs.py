"""RQ jobs: module-level, take ids, reload state, harmless to run twice.

Every path (queued, inline, CLI) ends in `process_rows` / `process_def`: one transaction per
batch of submission versions that upserts the cleaned records, replaces the tags (delete +
insert, in bulk) and marks the outbox rows done. A version whose computation fails is left
out of its batch's transaction (the others commit) and its error recorded on its outbox row.

Queued mode has two jobs:
- `drain(kind)`: claims up to PIPELINE_BATCH pending rows of its queue (`FOR UPDATE SKIP
  LOCKED` on PostgreSQL, so workers share a backlog without overlap) and processes them in one
  transaction; RQ's per-job bookkeeping is paid once per batch. When the batch was full it
  queues its successor first, so every idle worker finds work.
- `process_outbox(outbox_id)`: one row alone, with RQ's retries, for a row that failed in a
  batch (and for `retry-failed`); after its last retry it sits in RQ's failed registry.
"""
from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, has_app_context
from rq import get_current_job
from sqlalchemy import Select, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased

from app.extensions import db
from app.indicators import contributions as indicators
from app.models import (
    CleanedRecord,
    Form,
    FormVersion,
    PipelineOutbox,
    Project,
    SdgTag,
    SubmissionDef,
)
from app.models.base import utcnow
from app.pipeline import hooks, poison, queues, tagging
from app.pipeline.clean import Cleaned, PhonePolicy, clean_instance
from app.pipeline.disaggregation import disaggregate
from app.pipeline.fields import FormSpec, instance_root, spec_for
from app.pipeline.queues import PIPELINE_VERSION

log = logging.getLogger(__name__)
_standalone: Flask | None = None
_engine_pid: int | None = None


@contextmanager
def job_context() -> Iterator[None]:
    """A fresh app context (and so a fresh session) per job; builds the app under `rq worker`."""
    global _standalone, _engine_pid
    if has_app_context():
        app = current_app._get_current_object()  # type: ignore[attr-defined]
    else:
        if _standalone is None:
            from app import create_app

            _standalone = create_app()
        app = _standalone
    with app.app_context():
        if _engine_pid != os.getpid():
            # First job in this process: if it is a forked work-horse, it must not use the
            # parent's pooled connections (close=False leaves them to the parent).
            db.engine.dispose(close=False)
            _engine_pid = os.getpid()
        yield


@dataclass(frozen=True)
class Row:
    """One outbox row to process (outbox_id None: a direct re-run, no outbox row)."""

    outbox_id: int | None
    def_id: int
    event: str = "submission.created"

    @property
    def fresh(self) -> bool:
        return self.outbox_id is not None and self.event not in queues.BULK_EVENTS


@dataclass(frozen=True)
class VersionContext:
    """What cleaning and tagging need of a form version, read once per batch."""

    spec: FormSpec
    phones: PhonePolicy
    marks: dict[str, str]
    mapping: dict[str, Any]
    mapping_version: str


@dataclass
class Outcome:
    """What a batch did: versions processed (results committed), rows failed (with errors)."""

    processed: list[int]
    failed: dict[Row, str]


# --- RQ jobs ---------------------------------------------------------------------------------

def drain(kind: str = queues.FRESH, after: int = 0) -> str:
    """RQ job: process the next batch of pending rows of one queue.

    `after` is where the previous batch ended: the claim starts there (an index range, not a
    walk over every row done before), and looks below it only when the range above runs
    short (rows someone else held, or that arrived late)."""
    with job_context():
        from app.pipeline import dispatch

        dispatch.drain_started(kind)
        size = queues.batch_size()
        rows = claim(kind, size, after=after)
        if len(rows) < size and after:
            rows += claim(kind, size - len(rows), upto=after)
        if len(rows) == size:
            # More may wait: a successor on the queue keeps every idle worker busy.
            try:
                dispatch.ensure_drain(kind, after=max(r.outbox_id or 0 for r in rows))
            except Exception:
                log.exception("pipeline could not queue the next %s drain; the sweep will", kind)
        if not rows:
            db.session.commit()
            return "nothing pending"
        # Rows whose last batch died with its worker run alone, each in a job of its own, so
        # a poison among them cannot take this batch down too (app/pipeline/poison.py).
        survivors = poison.interrupted([r.outbox_id for r in rows if r.outbox_id is not None])
        if survivors:
            rows = [r for r in rows if r.outbox_id not in survivors]
            _record_failures([Row(i, 0) for i in survivors], INTERRUPTED, handoff=True)
        ids = [r.outbox_id for r in rows if r.outbox_id is not None]
        poison.started(ids)
        outcome = process_rows(rows, handoff=True)
        poison.finished(ids)
        if survivors:
            _handoff(sorted(survivors), delay=False)
        return (f"processed {len(outcome.processed)}, handed off "
                f"{len(outcome.failed) + len(survivors)}")


def process_outbox(outbox_id: int) -> str:
    """RQ job for one outbox row; raises on failure so RQ retries it (a quarantined row goes
    straight to the failed registry: retrying it would only kill another worker)."""
    with job_context():
        try:
            return run_outbox(outbox_id)
        except Quarantined:
            job = get_current_job()
            if job is not None:
                job.retries_left = 0
            raise


def run_outbox(outbox_id: int) -> str:
    """Process an outbox row unless done already; record the error and re-raise on failure."""
    row = _lock(outbox_id)
    if row is None:
        db.session.rollback()
        return "missing"
    if row.processed_at is not None:
        db.session.rollback()
        return "already processed"
    counted = queues.redis_url() is not None
    if counted:
        reason = poison.quarantine_reason(poison.started([row.id])[row.id])
        if reason is not None:
            _record_failures([Row(row.id, row.submission_def_id)], reason, handoff=False)
            db.session.commit()
            log.error("pipeline outbox_id=%s def_id=%s %s", row.id, row.submission_def_id,
                      reason)
            raise Quarantined(reason)
    outcome = process_rows([Row(row.id, row.submission_def_id, row.event)], isolate=False)
    if counted:
        poison.finished([row.id])
    if outcome.failed:
        raise PipelineError(next(iter(outcome.failed.values())))
    return "processed"


class PipelineError(RuntimeError):
    """A submission version could not be processed; the message is the original error."""


class Quarantined(PipelineError):
    """A version that killed its worker too often: recorded as failed, not run again."""


INTERRUPTED = "interrupted: the worker processing its batch stopped; it runs alone now"


def _lock(outbox_id: int) -> Any:
    # The row lock makes a concurrent drain skip this row (and this wait for one that has it).
    return db.session.execute(select(
        PipelineOutbox.id, PipelineOutbox.submission_def_id, PipelineOutbox.event,
        PipelineOutbox.processed_at).where(PipelineOutbox.id == outbox_id)
        .with_for_update()).one_or_none()


# --- the shared paths ------------------------------------------------------------------------

def claim(kind: str, limit: int, after: int = 0, upto: int | None = None) -> list[Row]:
    """Lock up to `limit` pending, never-failed rows of a queue with ids in (after, upto],
    oldest first (others' locked rows are skipped). A row that failed once (attempts > 0)
    belongs to its own job."""
    return [Row(r.id, r.submission_def_id, r.event)
            for r in db.session.execute(claim_query(kind, limit, after, upto))]


def claim_query(kind: str, limit: int, after: int = 0, upto: int | None = None) -> Select:
    bulk = list(queues.BULK_EVENTS)
    query = select(PipelineOutbox.id, PipelineOutbox.submission_def_id, PipelineOutbox.event).where(
        PipelineOutbox.processed_at.is_(None), PipelineOutbox.attempts == 0,
        PipelineOutbox.event.in_(bulk) if kind == queues.BULK
        else PipelineOutbox.event.not_in(bulk))
    if after:
        query = query.where(PipelineOutbox.id > after)
    if upto is not None:
        query = query.where(PipelineOutbox.id <= upto)
    return query.order_by(PipelineOutbox.id).limit(limit).with_for_update(skip_locked=True)


def run_inline(outbox_ids: list[int]) -> int:
    """The embedded mode: process rows now, in this process; failures stay pending (their
    error and attempt recorded). -> rows done (processed now or before)."""
    done, size = 0, queues.batch_size()
    for lo in range(0, len(outbox_ids), size):
        chunk = outbox_ids[lo:lo + size]
        with job_context():
            rows = [Row(r.id, r.submission_def_id, r.event) for r in db.session.execute(
                select(PipelineOutbox.id, PipelineOutbox.submission_def_id, PipelineOutbox.event)
                .where(PipelineOutbox.id.in_(chunk), PipelineOutbox.processed_at.is_(None))
                .order_by(PipelineOutbox.id).with_for_update())]
            outcome = process_rows(rows) if rows else Outcome([], {})
            for row, error in outcome.failed.items():
                log.error("pipeline outbox_id=%s failed inline (%s); it stays pending",
                          row.outbox_id, error)
            done += len(chunk) - len(outcome.failed)
    return done


def process_def(def_id: int, outbox_id: int | None = None) -> None:
    """Clean, disaggregate and tag one submission version, and commit; raises on failure."""
    outcome = process_rows([Row(outbox_id, def_id)], isolate=False)
    if outcome.failed:
        raise PipelineError(next(iter(outcome.failed.values())))


def process_defs(def_ids: Sequence[int]) -> dict[int, str]:
    """Re-run versions (no outbox rows) in batches; -> {def_id: error} for those that failed."""
    failed: dict[int, str] = {}
    size = queues.batch_size()
    for lo in range(0, len(def_ids), size):
        with job_context():
            outcome = process_rows([Row(None, d) for d in def_ids[lo:lo + size]])
        failed.update({row.def_id: error for row, error in outcome.failed.items()})
    return failed


def process_rows(rows: list[Row], *, handoff: bool = False, isolate: bool = True) -> Outcome:
    """Process these rows (outbox rows already locked by the caller's transaction) in one
    transaction and commit. A version whose computation raises is left out; its rows get
    attempts + 1 and the error, and with `handoff` each goes to its own retrying RQ job.

    If the batch's writes fail, it is rolled back and (with `isolate`) every row is run again
    alone, so one bad version never holds back the others. Listeners hear of each processed
    version after the commit."""
    try:
        outcome = _process_batch(rows, handoff=handoff)
    except Exception as error:
        db.session.rollback()
        if isolate and len(rows) > 1:
            log.warning("pipeline batch of %s failed to write (%s); running its rows alone",
                        len(rows), _message(error))
            outcome = Outcome([], {})
            for row in rows:
                if row.outbox_id is not None:
                    # The rollback let the lock go: take it again; someone may have done it.
                    locked = _lock(row.outbox_id)
                    if locked is None or locked.processed_at is not None:
                        db.session.rollback()
                        continue
                single = process_rows([row], handoff=handoff, isolate=False)
                outcome.processed += single.processed
                outcome.failed.update(single.failed)
            return outcome
        message = _message(error)
        _record_failures([r for r in rows], message, handoff=handoff)
        db.session.commit()
        outcome = Outcome([], {r: message for r in rows})
    if handoff and outcome.failed:
        _handoff([r.outbox_id for r in outcome.failed if r.outbox_id is not None])
    return outcome


def _process_batch(rows: list[Row], *, handoff: bool) -> Outcome:
    by_def: dict[int, list[Row]] = {}
    for row in rows:
        by_def.setdefault(row.def_id, []).append(row)
    defs = {d.id: d for d in db.session.execute(select(
        SubmissionDef.id, SubmissionDef.xml, SubmissionDef.form_version_id,
        SubmissionDef.created_at).where(SubmissionDef.id.in_(list(by_def))))}
    contexts = _contexts({d.form_version_id for d in defs.values()})
    results: dict[int, tuple[Cleaned, dict, list[tagging.Tag], str]] = {}
    failed: dict[Row, str] = {}
    for def_id, sub_def in sorted(defs.items()):
        try:
            with poison.cpu_bound():
                results[def_id] = _compute(sub_def, contexts[sub_def.form_version_id])
        except Exception as error:  # MemoryError and VersionTooCostly included
            log.warning("pipeline def_id=%s failed: %s", def_id, _message(error),
                        exc_info=True)
            for row in by_def[def_id]:
                failed[row] = _message(error)
    _save_many(results)
    indicators.apply(sorted(results))
    # A version gone (deleted) counts as done: there is nothing to compute.
    done = [r.outbox_id for r in rows if r not in failed and r.outbox_id is not None]
    if done:
        db.session.execute(update(PipelineOutbox).where(PipelineOutbox.id.in_(done)).values(
            processed_at=utcnow(), attempts=PipelineOutbox.attempts + 1, last_error=None))
    for row, message in failed.items():
        _record_failures([row], message, handoff=handoff)
    db.session.commit()
    processed = sorted(results)
    hooks.processed_batch([(d, any(r.fresh for r in by_def[d])) for d in processed])
    return Outcome(processed, failed)


def _record_failures(rows: list[Row], message: str, *, handoff: bool) -> None:
    ids = [r.outbox_id for r in rows if r.outbox_id is not None]
    if not ids:
        return
    values: dict[str, Any] = {"attempts": PipelineOutbox.attempts + 1, "last_error": message}
    if handoff:
        values["enqueued_at"] = utcnow()
    db.session.execute(update(PipelineOutbox).where(PipelineOutbox.id.in_(ids)).values(**values))


def _handoff(outbox_ids: list[int], delay: bool = True) -> None:
    """Failed in a batch: each row now gets its own job (its retries, then the failed
    registry; `delay`: after the first retry interval). If Redis is gone the sweep finds them
    (attempts > 0, no job)."""
    from app.pipeline import dispatch

    try:
        dispatch.enqueue_single(outbox_ids, first_attempt_done=True, delay=delay)
    except Exception:
        log.exception("pipeline could not hand off failed rows %s; the sweep will", outbox_ids)


def _message(error: BaseException) -> str:
    if isinstance(error, PipelineError):
        return str(error)[:2000]
    return f"{type(error).__name__}: {error}"[:2000]


def _contexts(version_ids: set[int]) -> dict[int, VersionContext]:
    """One query for every form version of a batch (and its form's current version, whose
    mapping applies to old submissions too: paths an old version lacks never match)."""
    if not version_ids:
        return {}
    current = aliased(FormVersion)
    found = db.session.execute(select(
        FormVersion.id, FormVersion.sha256, FormVersion.xml, FormVersion.disaggregation,
        FormVersion.sdg_mapping, FormVersion.version, Project.settings,
        current.id.label("current_id"), current.disaggregation.label("current_marks"),
        current.sdg_mapping.label("current_mapping"), current.version.label("current_version"))
        .join(Form, Form.id == FormVersion.form_id)
        .join(Project, Project.id == Form.project_id)
        .outerjoin(current, current.id == Form.current_version_id)
        .where(FormVersion.id.in_(version_ids)))
    key = current_app.config.get("PHONE_HASH_KEY") or current_app.config["SECRET_KEY"]
    out = {}
    for v in found:
        settings = v.settings or {}
        use_current = v.current_id is not None
        out[v.id] = VersionContext(
            spec=spec_for(v.sha256, v.xml),
            phones=PhonePolicy(key=key.encode("utf-8"),
                               allow_clear=bool(settings.get("allow_phone_numbers")),
                               region=settings.get("phone_region")),
            marks=(v.current_marks if use_current else None) or v.disaggregation or {},
            mapping=(v.current_mapping if use_current else v.sdg_mapping) or {},
            mapping_version=(v.current_version if use_current else v.version) or "")
    return out


def _compute(sub_def: Any, ctx: VersionContext) -> tuple[Cleaned, dict, list[tagging.Tag], str]:
    """Clean, disaggregate and tag one version (`sub_def`: id, xml, created_at)."""
    cleaned = clean_instance(ctx.spec, instance_root(sub_def.xml), phones=ctx.phones,
                             received=sub_def.created_at.date())
    disaggregation = disaggregate(cleaned.record, ctx.marks)
    classifier = tagging.get_classifier()
    tags = tagging.mapping_tags(ctx.mapping, cleaned.record, ctx.mapping_version)
    tags += tagging.text_tags(ctx.spec, cleaned.record, classifier)
    return cleaned, disaggregation, tagging.unique(tags), tagging.tags_key(
        ctx.mapping, classifier.version)


def _save_many(results: dict[int, tuple[Cleaned, dict, list[tagging.Tag], str]]) -> None:
    """Upsert the cleaned records and replace the tags of these versions, in bulk, in def id
    order (concurrent batches lock rows in the same order: no deadlock)."""
    if not results:
        return
    now = utcnow()
    ids = sorted(results)
    records = [{
        "submission_def_id": def_id, "record": results[def_id][0].record,
        "flags": results[def_id][0].flags, "disaggregation": results[def_id][1],
        "pipeline_version": PIPELINE_VERSION, "tags_key": results[def_id][3],
        "processed_at": now} for def_id in ids]
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    upsert = dialect.insert(CleanedRecord)
    # The upsert takes the record's row lock first, so two runs for one version serialise on
    # it before touching the tags: no interleaved delete + insert.
    db.session.execute(upsert.on_conflict_do_update(
        index_elements=[CleanedRecord.submission_def_id],
        set_={name: upsert.excluded[name] for name in records[0]
              if name != "submission_def_id"}), records)
    db.session.execute(delete(SdgTag).where(SdgTag.submission_def_id.in_(ids)))
    tags = [{
        "submission_def_id": def_id, "goal": t.goal, "target": t.target or "",
        "indicator": t.indicator or "", "source": t.source, "score": t.score,
        "field": t.field or "", "version": t.version}
        for def_id in ids for t in results[def_id][2]]
    if tags and dialect is postgresql:
        _copy_tags(tags)
    elif tags:
        db.session.execute(insert(SdgTag), tags)


_TAG_COLUMNS = ("submission_def_id", "goal", "target", "indicator", "source", "score", "field",
                "version")


def _copy_tags(tags: list[dict[str, Any]]) -> None:
    """PostgreSQL's COPY, in the session's transaction: ~14 tags a submission make the tag
    insert the batch's largest write, and COPY streams them without a statement per row."""
    raw = db.session.connection().connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(
            f"COPY sdg_tags ({', '.join(_TAG_COLUMNS)}) FROM STDIN") as copy:
        for tag in tags:
            copy.write_row([tag[name] for name in _TAG_COLUMNS])

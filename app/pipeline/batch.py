"""One pipeline batch, the only path every mode takes (queued drain, single retry, inline, CLI).

One transaction per batch of submission versions: the versions, their forms' settings and
parsed forms read once; cleaned records upserted and tags replaced (delete + insert, in bulk,
COPY on PostgreSQL); the outbox rows marked done. A version whose computation fails is left out
of its batch's transaction (the others commit) and its error recorded on its outbox rows.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import aliased

from app import sql
from app.extensions import db
from app.indicators import contributions as indicators
from app.models import CleanedRecord, Form, FormVersion, Project, SdgTag, SubmissionDef
from app.models.base import utcnow
from app.pipeline import hooks, poison, tagging
from app.pipeline.clean import Cleaned, PhonePolicy, clean_instance
from app.pipeline.disaggregation import disaggregate
from app.pipeline.fields import FormSpec, instance_root, spec_for
from app.queries import outbox
from app.queries.outbox import OutboxRow
from app.services import personal_data

log = logging.getLogger(__name__)
# Bumped when cleaning or tagging changes meaning; stored on every cleaned record.
PIPELINE_VERSION = "clean-1"


class PipelineError(RuntimeError):
    """A submission version could not be processed; the message is the original error."""


@dataclass(frozen=True)
class VersionContext:
    """What cleaning and tagging need of a form version, read once per batch."""

    spec: FormSpec
    phones: PhonePolicy
    marks: dict[str, str]
    mapping: dict[str, Any]
    mapping_version: str


@dataclass
class BatchOutcome:
    """What a batch did: versions processed (results committed), rows failed (with errors)."""

    processed: list[int]
    failed: dict[OutboxRow, str]


Result = tuple[Cleaned, dict, list[tagging.Tag], str]


def process_rows(rows: list[OutboxRow], *, handoff: bool = False,
                 isolate: bool = True) -> BatchOutcome:
    """Process these rows (outbox rows already locked by the caller's transaction) in one
    transaction and commit. A version whose computation raises is left out; its rows get
    attempts + 1 and the error (`handoff`: the caller gives each its own retrying job).

    If the batch's writes fail, it is rolled back and (with `isolate`) every row is run again
    alone, so one bad version never holds back the others. Listeners hear of each processed
    version after the commit."""
    try:
        return _process_batch(rows, handoff=handoff)
    except Exception as error:
        db.session.rollback()
        if not (isolate and len(rows) > 1):
            message = error_message(error)
            outbox.record_failure([r.outbox_id for r in rows if r.outbox_id is not None],
                                  message, handed_off=handoff)
            db.session.commit()
            return BatchOutcome([], {r: message for r in rows})
        log.warning("pipeline batch of %s failed to write (%s); running its rows alone",
                    len(rows), error_message(error))
    outcome = BatchOutcome([], {})
    for row in rows:
        if row.outbox_id is not None:
            # The rollback let the lock go: take it again; someone may have done it.
            locked = outbox.lock(row.outbox_id)
            if locked is None or locked.processed_at is not None:
                db.session.rollback()
                continue
        single = process_rows([row], handoff=handoff, isolate=False)
        outcome.processed += single.processed
        outcome.failed.update(single.failed)
    return outcome


def process_one(row: OutboxRow) -> None:
    """One version alone, committed; raises PipelineError when it failed."""
    outcome = process_rows([row], isolate=False)
    if outcome.failed:
        raise PipelineError(next(iter(outcome.failed.values())))


def error_message(error: BaseException) -> str:
    if isinstance(error, PipelineError):
        return str(error)[:2000]
    return f"{type(error).__name__}: {error}"[:2000]


def _process_batch(rows: list[OutboxRow], *, handoff: bool) -> BatchOutcome:
    by_def: dict[int, list[OutboxRow]] = {}
    for row in rows:
        by_def.setdefault(row.def_id, []).append(row)
    defs = {d.id: d for d in db.session.execute(select(
        SubmissionDef.id, SubmissionDef.xml, SubmissionDef.form_version_id,
        SubmissionDef.created_at).where(SubmissionDef.id.in_(list(by_def))))}
    contexts = _contexts({d.form_version_id for d in defs.values()})
    results: dict[int, Result] = {}
    failed: dict[OutboxRow, str] = {}
    for def_id, sub_def in sorted(defs.items()):
        try:
            with poison.cpu_bound():
                results[def_id] = _compute(sub_def, contexts[sub_def.form_version_id])
        except Exception as error:  # MemoryError and VersionTooCostly included
            log.warning("pipeline def_id=%s failed: %s", def_id, error_message(error),
                        exc_info=True)
            for row in by_def[def_id]:
                failed[row] = error_message(error)
    _save_many(results)
    indicators.apply(sorted(results))
    # A version gone (deleted) counts as done: there is nothing to compute.
    done = [r.outbox_id for r in rows if r not in failed and r.outbox_id is not None]
    if done:
        outbox.mark_done(done)
    for row, message in failed.items():
        if row.outbox_id is not None:
            outbox.record_failure([row.outbox_id], message, handed_off=handoff)
    db.session.commit()
    processed = sorted(results)
    hooks.processed_batch([(d, any(r.fresh for r in by_def[d])) for d in processed])
    return BatchOutcome(processed, failed)


def _contexts(version_ids: set[int]) -> dict[int, VersionContext]:
    """One query for every form version of a batch (and its form's current version, whose
    mapping applies to old submissions too: paths an old version lacks never match)."""
    if not version_ids:
        return {}
    current = aliased(FormVersion)
    found = db.session.execute(select(
        FormVersion.id, FormVersion.sha256, FormVersion.disaggregation,
        FormVersion.sdg_mapping, FormVersion.version, Project.settings,
        current.id.label("current_id"), current.disaggregation.label("current_marks"),
        current.sdg_mapping.label("current_mapping"), current.version.label("current_version"))
        .join(Form, Form.id == FormVersion.form_id)
        .join(Project, Project.id == Form.project_id)
        .outerjoin(current, current.id == Form.current_version_id)
        .where(FormVersion.id.in_(version_ids)))
    key = personal_data.hash_key()
    out = {}
    for v in found:
        settings = v.settings or {}
        use_current = v.current_id is not None
        out[v.id] = VersionContext(
            spec=spec_for(v.sha256, v.id),
            phones=PhonePolicy(key=key,
                               allow_clear=bool(settings.get("allowPhoneNumbers")),
                               region=settings.get("phone_region")),
            marks=(v.current_marks if use_current else None) or v.disaggregation or {},
            mapping=(v.current_mapping if use_current else v.sdg_mapping) or {},
            mapping_version=(v.current_version if use_current else v.version) or "")
    return out


def _compute(sub_def: Any, ctx: VersionContext) -> Result:
    """Clean, disaggregate and tag one version (`sub_def`: id, xml, created_at)."""
    cleaned = clean_instance(ctx.spec, instance_root(sub_def.xml), phones=ctx.phones,
                             received=sub_def.created_at.date())
    disaggregation = disaggregate(cleaned.record, ctx.marks)
    classifier = tagging.get_classifier()
    tags = tagging.mapping_tags(ctx.mapping, cleaned.record, ctx.mapping_version)
    tags += tagging.text_tags(ctx.spec, cleaned.record, classifier)
    return cleaned, disaggregation, tagging.unique(tags), tagging.tags_key(
        ctx.mapping, classifier.version)


def _save_many(results: dict[int, Result]) -> None:
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
    # The upsert takes the record's row lock first, so two runs for one version serialise on
    # it before touching the tags: no interleaved delete + insert.
    db.session.execute(sql.upsert(CleanedRecord.__table__, ["submission_def_id"],
                                  [name for name in records[0] if name != "submission_def_id"]),
                       records)
    db.session.execute(delete(SdgTag).where(SdgTag.submission_def_id.in_(ids)))
    tags = [{
        "submission_def_id": def_id, "goal": t.goal, "target": t.target or "",
        "indicator": t.indicator or "", "source": t.source, "score": t.score,
        "field": t.field or "", "version": t.version}
        for def_id in ids for t in results[def_id][2]]
    if tags and not sql.copy_rows(SdgTag.__table__, tags):
        db.session.execute(insert(SdgTag), tags)

"""RQ jobs: module-level, take ids, reload state, harmless to run twice.

Every path (queued, inline, CLI) ends in `process_def`, one transaction per submission version:
upsert the cleaned record, replace the tags (delete + insert), mark the outbox row done.
"""
from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import defer

from app.extensions import db
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
from app.pipeline import hooks, tagging
from app.pipeline.clean import Cleaned, PhonePolicy, clean_instance
from app.pipeline.disaggregation import disaggregate
from app.pipeline.fields import instance_root, spec_for
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


def process_outbox(outbox_id: int) -> str:
    """RQ job for one outbox row; raises on failure so RQ retries it."""
    with job_context():
        return run_outbox(outbox_id)


def run_outbox(outbox_id: int) -> str:
    """Process an outbox row unless done already; record the error and re-raise on failure."""
    row = db.session.get(PipelineOutbox, outbox_id)
    if row is None:
        return "missing"
    if row.processed_at is not None:
        return "already processed"
    try:
        process_def(row.submission_def_id, outbox_id=outbox_id)
    except Exception as error:
        db.session.rollback()
        message = f"{type(error).__name__}: {error}"[:2000]
        db.session.execute(update(PipelineOutbox).where(PipelineOutbox.id == outbox_id).values(
            attempts=PipelineOutbox.attempts + 1, last_error=message))
        db.session.commit()
        raise
    return "processed"


def run_inline(outbox_ids: list[int]) -> int:
    """The embedded mode: process rows now, in this process; failures stay pending. -> done."""
    done = 0
    for outbox_id in outbox_ids:
        try:
            with job_context():
                run_outbox(outbox_id)
            done += 1
        except Exception:
            log.exception("pipeline outbox_id=%s failed inline; it stays pending", outbox_id)
    return done


def process_def(def_id: int, outbox_id: int | None = None) -> None:
    """Clean, disaggregate and tag one submission version, and commit."""
    sub_def = db.session.get(SubmissionDef, def_id)
    if sub_def is not None:
        result = _compute(sub_def)
        _save(def_id, *result)
    if outbox_id is not None:
        db.session.execute(update(PipelineOutbox).where(PipelineOutbox.id == outbox_id).values(
            processed_at=utcnow(), attempts=PipelineOutbox.attempts + 1, last_error=None))
    db.session.commit()
    if sub_def is not None:
        hooks.processed(def_id, fresh=outbox_id is not None)


def _compute(sub_def: SubmissionDef) -> tuple[Cleaned, dict, list[tagging.Tag], str]:
    version, form, project = db.session.execute(
        select(FormVersion, Form, Project).join(Form, Form.id == FormVersion.form_id)
        .join(Project, Project.id == Form.project_id)
        .where(FormVersion.id == sub_def.form_version_id)
        .options(defer(FormVersion.xlsform))).one()
    # The form's current mapping applies to old submissions too: a coordinator who fixes the
    # mapping sees them re-tagged. Paths the old version lacks simply never match.
    current = version
    if form.current_version_id not in (None, version.id):
        current = db.session.get(FormVersion, form.current_version_id,
                                 options=[defer(FormVersion.xlsform)]) or version
    spec = spec_for(version.sha256, version.xml)
    settings = project.settings or {}
    key = current_app.config.get("PHONE_HASH_KEY") or current_app.config["SECRET_KEY"]
    phones = PhonePolicy(key=key.encode("utf-8"),
                         allow_clear=bool(settings.get("allow_phone_numbers")),
                         region=settings.get("phone_region"))
    cleaned = clean_instance(spec, instance_root(sub_def.xml), phones=phones,
                             received=sub_def.created_at.date())
    marks = current.disaggregation or version.disaggregation or {}
    disaggregation = disaggregate(cleaned.record, marks)
    mapping = current.sdg_mapping or {}
    classifier = tagging.get_classifier()
    tags = tagging.mapping_tags(mapping, cleaned.record, current.version or "")
    tags += tagging.text_tags(spec, cleaned.record, classifier)
    return cleaned, disaggregation, tagging.unique(tags), tagging.tags_key(
        mapping, classifier.version)


def _save(def_id: int, cleaned: Cleaned, disaggregation: dict, tags: list[tagging.Tag],
          key: str) -> None:
    values: dict[str, Any] = {
        "submission_def_id": def_id, "record": cleaned.record, "flags": cleaned.flags,
        "disaggregation": disaggregation, "pipeline_version": PIPELINE_VERSION,
        "tags_key": key, "processed_at": utcnow()}
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    upsert = dialect.insert(CleanedRecord).values(**values)
    # The upsert takes the row lock first, so two runs for one def serialise on it before
    # touching the tags: no interleaved delete + insert.
    db.session.execute(upsert.on_conflict_do_update(
        index_elements=[CleanedRecord.submission_def_id],
        set_={name: upsert.excluded[name] for name in values if name != "submission_def_id"}))
    db.session.execute(delete(SdgTag).where(SdgTag.submission_def_id == def_id))
    if tags:
        db.session.execute(insert(SdgTag), [{
            "submission_def_id": def_id, "goal": t.goal, "target": t.target or "",
            "indicator": t.indicator or "", "source": t.source, "score": t.score,
            "field": t.field or "", "version": t.version} for t in tags])

"""Re-running the pipeline for chosen submissions: pick their current versions, then run them
here or write outbox rows for the workers (durable, like fresh submissions)."""
from __future__ import annotations

from sqlalchemy import select

from app import queues
from app.extensions import db
from app.models import CleanedRecord, Form, FormVersion, Submission, SubmissionDef
from app.pipeline import batch, tagging
from app.queries import outbox
from app.queries.outbox import Event, OutboxRow


class Ambiguous(ValueError):
    """An xmlFormId used by several projects, with no project named."""


def select_defs(*, project_id: int | None = None, xml_form_id: str | None = None,
                form_id: int | None = None, instance_id: str | None = None) -> list[int]:
    """Current submission versions of live submissions, filtered; ids ascending."""
    query = (select(SubmissionDef.id).join(Submission, Submission.id == SubmissionDef.submission_id)
             .join(Form, Form.id == SubmissionDef.form_id)
             .where(SubmissionDef.current.is_(True), Submission.deleted_at.is_(None),
                    Form.deleted_at.is_(None)))
    if project_id is not None:
        query = query.where(Form.project_id == project_id)
    if form_id is not None:
        query = query.where(Form.id == form_id)
    if xml_form_id is not None:
        projects = set(db.session.scalars(select(Form.project_id).where(
            Form.xml_form_id == xml_form_id, Form.deleted_at.is_(None))))
        if project_id is None and len(projects) > 1:
            raise Ambiguous(f"form {xml_form_id} is in projects {sorted(projects)}: "
                            "name one with --project")
        query = query.where(Form.xml_form_id == xml_form_id)
    if instance_id is not None:
        query = query.where(Submission.instance_id == instance_id)
    return list(db.session.scalars(query.order_by(SubmissionDef.id)))


def request(def_ids: list[int], event: str = Event.REPROCESS) -> list[int]:
    """Write one outbox row per version and commit; -> their ids (hand them to dispatch)."""
    ids = outbox.request(def_ids, event)
    if ids:
        db.session.commit()
    return ids


def run_now(def_id: int) -> None:
    """Process one version in this process, in its own transaction."""
    with queues.job_context():
        batch.process_one(OutboxRow(None, def_id))


def stale_defs(limit: int = 10_000) -> list[int]:
    """Current versions whose tags were made with another mapping or classifier version than
    their form's now, and that have no pipeline work pending."""
    classifier_version = tagging.get_classifier().version
    forms = db.session.execute(select(Form.id, FormVersion.sdg_mapping).join(
        FormVersion, FormVersion.id == Form.current_version_id).where(Form.deleted_at.is_(None)))
    waiting = outbox.waiting_for(CleanedRecord.submission_def_id)
    found: list[int] = []
    for form_id, mapping in forms.all():
        key = tagging.tags_key(mapping or {}, classifier_version)
        found += db.session.scalars(select(CleanedRecord.submission_def_id).join(
            SubmissionDef, SubmissionDef.id == CleanedRecord.submission_def_id).where(
            SubmissionDef.form_id == form_id, SubmissionDef.current.is_(True),
            CleanedRecord.tags_key != key, ~waiting).limit(limit - len(found)))
        if len(found) >= limit:
            break
    return found


def request_stale_retags(limit: int = 10_000) -> list[int]:
    """Outbox rows (committed) to re-tag what a mapping or classifier change made stale."""
    return request(stale_defs(limit), Event.RETAG)

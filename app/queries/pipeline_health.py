"""What waits in the pipeline, per submission, for the web app's pipeline pages: each
unprocessed outbox row with its submission (project, form, instanceID), its attempts and
its reason: `pending`, `failing` (an error; retries to come or spent) or `quarantined` (it
killed its worker; app.pipeline.poison), as app.pipeline.status.version_status says."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from app.extensions import db
from app.models import Form, PipelineOutbox, Submission, SubmissionDef


@dataclass(frozen=True)
class Waiting:
    outbox_id: int
    def_id: int
    project_id: int
    xml_form_id: str
    instance_id: str
    attempts: int
    error: str | None
    created_at: datetime

    @property
    def status(self) -> str:
        if self.error and self.error.startswith("quarantined:"):
            return "quarantined"
        return "failing" if self.error else "pending"


def _query(project_id: int | None):
    query = (select(PipelineOutbox.id, PipelineOutbox.submission_def_id, Form.project_id,
                    Form.xml_form_id, Submission.instance_id, PipelineOutbox.attempts,
                    PipelineOutbox.last_error, PipelineOutbox.created_at)
             .join(SubmissionDef, SubmissionDef.id == PipelineOutbox.submission_def_id)
             .join(Submission, Submission.id == SubmissionDef.submission_id)
             .join(Form, Form.id == Submission.form_id)
             .where(PipelineOutbox.processed_at.is_(None)))
    return query if project_id is None else query.where(Form.project_id == project_id)


def waiting(project_id: int | None = None, *, errors_only: bool = False,
            limit: int = 200) -> list[Waiting]:
    """Unprocessed rows (those with an error first, then the newest), at most `limit`."""
    query = _query(project_id)
    if errors_only:
        query = query.where(PipelineOutbox.last_error.is_not(None))
    rows = db.session.execute(query.order_by(PipelineOutbox.last_error.is_(None),
                                             PipelineOutbox.id.desc()).limit(limit))
    return [Waiting(*row) for row in rows]


def counts(project_id: int | None = None) -> dict[str, int]:
    """How many unprocessed rows wait, fail and are quarantined."""
    sub = _query(project_id).subquery()
    total, errored, quarantined = db.session.execute(select(
        func.count(), func.count(sub.c.last_error),
        func.count().filter(sub.c.last_error.like("quarantined:%"))).select_from(sub)).one()
    return {"pending": total - errored, "failing": errored - quarantined,
            "quarantined": quarantined}


def by_def(def_ids: list[int]) -> dict[int, Waiting]:
    """The newest unprocessed row of each of these versions (to name a failed job's
    submission)."""
    out: dict[int, Waiting] = {}
    for row in db.session.execute(_query(None).where(
            PipelineOutbox.submission_def_id.in_(def_ids or [-1]))
            .order_by(PipelineOutbox.id)):
        out[row[1]] = Waiting(*row)
    return out

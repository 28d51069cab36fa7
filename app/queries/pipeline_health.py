"""What waits in the pipeline, per submission, for the web app's pipeline pages: each
unprocessed outbox row with its submission (project, form, instanceID), its attempts and
its reason: `pending`, `failing` (an error; retries to come or spent) or `quarantined` (it
killed its worker; app.pipeline.poison), as app.pipeline.status.version_status says."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import func, select

from app import quarantine
from app.extensions import db
from app.models import Form, PipelineOutbox, Submission, SubmissionDef


class PipelineState(StrEnum):
    """Where a submission version stands in the pipeline (its newest outbox row)."""

    PROCESSED = "processed"
    PENDING = "pending"
    FAILING = "failing"  # an error; retries to come or spent
    QUARANTINED = "quarantined"  # it killed its worker (app.quarantine)


def state_of(error: str | None) -> PipelineState:
    """The state of an unprocessed outbox row, by its recorded error."""
    if quarantine.is_quarantined(error):
        return PipelineState.QUARANTINED
    return PipelineState.FAILING if error else PipelineState.PENDING


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
        return state_of(self.error)


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
        func.count().filter(sub.c.last_error.like(quarantine.PREFIX + "%"))).select_from(sub)).one()
    return {PipelineState.PENDING.value: total - errored,
            PipelineState.FAILING.value: errored - quarantined,
            PipelineState.QUARANTINED.value: quarantined}


def by_def(def_ids: list[int]) -> dict[int, Waiting]:
    """The newest unprocessed row of each of these versions (to name a failed job's
    submission)."""
    out: dict[int, Waiting] = {}
    for row in db.session.execute(_query(None).where(
            PipelineOutbox.submission_def_id.in_(def_ids or [-1]))
            .order_by(PipelineOutbox.id)):
        out[row[1]] = Waiting(*row)
    return out

"""Large exports as background jobs: an ExportJob row, an RQ job on the exports queue (inline
when there is no REDIS_URL), a file under STORAGE_DIR/exports/, progress every N rows.

Settings (app/config.py): EXPORT_ASYNC_ROWS, EXPORT_FILE_TTL_SECONDS (a finished or failed
job and its file are removed this long after it finished: on every list of a form's jobs, and
by `flask export-cleanup`), EXPORT_PROGRESS_ROWS, EXPORT_JOB_TIMEOUT.

A job whose worker is killed runs again; one that crashes or kills its worker twice is
quarantined (app/quarantine.py): failed with the reason, until `flask pipeline retry-failed`.
"""
from __future__ import annotations

import logging
import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from redis.exceptions import RedisError
from rq import Queue
from sqlalchemy import select, update

from app import quarantine, queues
from app.config import setting
from app.exports import formats
from app.exports.spec import ExportSpec, Source
from app.extensions import db
from app.models import ExportJob
from app.models.base import utcnow
from app.models.export_jobs import FINISHED, UNFINISHED, ExportStatus

log = logging.getLogger(__name__)


def export_dir() -> Path:
    path = Path(current_app.config["STORAGE_DIR"]) / "exports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def file_path(job: ExportJob) -> Path | None:
    return None if not job.file_name else export_dir() / job.file_name


def queue() -> Queue:
    return queues.queue(queues.EXPORTS)


def rq_job_id(job_id: int) -> str:
    return queues.job_id("export", job_id)


def create(spec: ExportSpec, actor_id: int | None, total: int | None = None) -> ExportJob:
    """A queued job row for `spec`, committed (the caller has authorised and audited)."""
    if formats.get(spec.format) is None:
        raise KeyError(f"unknown export format {spec.format!r}")
    job = ExportJob(form_id=spec.form_id, actor_id=actor_id, format=spec.format,
                    spec=spec.to_dict(), status=ExportStatus.QUEUED, rows=0, total=total)
    db.session.add(job)
    db.session.commit()
    return job


def dispatch(job: ExportJob) -> None:
    """Hand the job to an RQ worker, or run it here and now when there is no REDIS_URL."""
    job_id = job.id
    if queues.redis_url() is None:
        run(job_id)
        return
    from rq import Callback

    try:
        queue().enqueue(process, job_id, job_id=rq_job_id(job_id),
                        job_timeout=setting("EXPORT_JOB_TIMEOUT"), result_ttl=3600,
                        failure_ttl=setting("EXPORT_FILE_TTL_SECONDS"),
                        on_failure=Callback(on_rq_failure),
                        # a killed worker's export runs again, until the quarantine stops it
                        retry=queues.retry([0], attempts=quarantine.KILLS_BEFORE_QUARANTINE),
                        description=f"export {job_id} {job.format}")
    except RedisError as error:
        _set(job_id, status=ExportStatus.FAILED, finished_at=utcnow(),
             error=f"the job queue is unavailable ({error.__class__.__name__}); try again")


def process(job_id: int) -> str:
    """The RQ job: run one export inside the app."""
    with queues.job_context():
        try:
            return quarantine.guard(quarantine.EXPORT, job_id, lambda i, _resumed: run(i),
                                    set_aside)
        finally:
            db.session.remove()


def set_aside(job_id: int, reason: str) -> str:
    """Quarantined: the row is failed with the reason, its partial file gone."""
    db.session.rollback()
    for path in export_dir().glob(f"{job_id}.*.part"):
        path.unlink(missing_ok=True)
    _set(job_id, status=ExportStatus.FAILED, finished_at=utcnow(), error=reason,
         only_unfinished=True)
    return "quarantined"


def on_rq_failure(rq_job, connection, exc_type, exc_value, traceback) -> None:
    """RQ's failure callback (a worker killed mid-job, a timeout): the row says so, unless
    RQ runs the job again (a killed worker's, while the quarantine lets it)."""
    job_id = rq_job.args[0] if rq_job.args else None
    if job_id is None or rq_job.retries_left:
        return
    with queues.job_context():
        if quarantine.abandoned(quarantine.EXPORT, rq_job, exc_type, set_aside):
            return
        _set(job_id, status=ExportStatus.FAILED, finished_at=utcnow(),
             error=f"{getattr(exc_type, '__name__', 'Error')}: {exc_value}",
             only_unfinished=True)


def retry_quarantined(job_ids: list[int]) -> int:
    """`retry-failed`: quarantined exports run again from the start; -> how many."""
    rows = [job for job in db.session.scalars(select(ExportJob).where(
        ExportJob.id.in_(job_ids), ExportJob.status == ExportStatus.FAILED))
        if quarantine.is_quarantined(job.error)]
    for job in rows:
        _set(job.id, status=ExportStatus.QUEUED, error=None, rows=0, started_at=None,
             finished_at=None, expires_at=None)
    db.session.expire_all()
    for job in rows:
        dispatch(job)
    return len(rows)


def _set(job_id: int, *, only_unfinished: bool = False, **values: Any) -> None:
    """Update the row in its own short transaction: the session may be inside a long read
    (a server-side cursor that a commit would close)."""
    if values.get("status") in FINISHED and "expires_at" not in values:
        values["expires_at"] = (values.get("finished_at") or utcnow()) + timedelta(
            seconds=setting("EXPORT_FILE_TTL_SECONDS"))
    statement = update(ExportJob).where(ExportJob.id == job_id).values(**values)
    if only_unfinished:
        statement = statement.where(ExportJob.status.in_(UNFINISHED))
    with db.engine.begin() as conn:
        conn.execute(statement)


def run(job_id: int) -> str:
    """Write the job's file, reporting progress; -> its final status. Never raises for a
    failed export: the row carries the error."""
    job = db.session.get(ExportJob, job_id)
    if job is None:
        return "missing"
    if job.status in FINISHED:
        return job.status
    spec = ExportSpec.from_dict(job.spec)
    fmt = formats.get(spec.format)
    target = export_dir() / f"{job_id}{fmt.suffix if fmt else ''}"
    partial = target.with_name(target.name + ".part")
    db.session.commit()  # end the read; the row is written on its own connection below
    every = max(1, setting("EXPORT_PROGRESS_ROWS"))
    written = reported = 0

    def progress(n: int) -> None:
        nonlocal written, reported
        written += n
        if written - reported >= every:
            _set(job_id, rows=written)
            reported = written

    try:
        if fmt is None:
            raise KeyError(f"unknown export format {spec.format!r}")
        total = Source(spec).count()
        _set(job_id, status=ExportStatus.RUNNING, started_at=utcnow(), rows=0, total=total)
        with open(partial, "wb") as out:
            for chunk in formats.produce(spec, progress):
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, target)
    except Exception as error:  # the export failed: say why on the row, keep the worker alive
        log.exception("export job %s failed", job_id)
        db.session.rollback()
        partial.unlink(missing_ok=True)
        _set(job_id, status=ExportStatus.FAILED, finished_at=utcnow(), rows=written,
             error=f"{error.__class__.__name__}: {error}")
        return ExportStatus.FAILED
    finally:
        db.session.commit()
    _set(job_id, status=ExportStatus.DONE, finished_at=utcnow(), rows=written,
         file_name=target.name, file_size=target.stat().st_size)
    db.session.expire_all()
    return ExportStatus.DONE


_LOST = {"failed", "stopped", "canceled"}


def refresh(job: ExportJob) -> ExportJob:
    """A queued or running job whose RQ job is gone or failed without telling us (a worker
    killed outright, Redis restarted empty) is marked failed, so nobody polls it forever."""
    if job.status not in UNFINISHED:
        return job
    limit = timedelta(seconds=setting("EXPORT_JOB_TIMEOUT"))
    if job.status == ExportStatus.RUNNING and job.started_at and job.started_at + limit < utcnow():
        # No worker lets a job run this long: its process died (an inline run included).
        _set(job.id, status=ExportStatus.FAILED, finished_at=utcnow(), only_unfinished=True,
             error=f"the export did not finish within EXPORT_JOB_TIMEOUT ({limit}); ask again")
        db.session.refresh(job)
        return job
    if queues.redis_url() is None:
        return job
    from rq.job import Job

    try:
        found = Job.fetch_many([rq_job_id(job.id)], connection=queues.connection())[0]
        status = None if found is None else found.get_status(refresh=False)
    except RedisError:
        return job  # cannot tell; the row stands
    state = str(getattr(status, "value", status) or "")
    if found is not None and state not in _LOST:
        return job
    db.session.commit()  # the worker may have just finished: read the row afresh
    db.session.refresh(job)
    if job.status in UNFINISHED:
        reason = "the job was lost (Redis emptied?)" if found is None else f"the job {state}"
        _set(job.id, status=ExportStatus.FAILED, finished_at=utcnow(), error=f"{reason}; ask again",
             only_unfinished=True)
        db.session.refresh(job)
    return job


def progress_of(job: ExportJob) -> float:
    if job.status == ExportStatus.DONE:
        return 1.0
    if not job.total:
        return 0.0
    return round(min(1.0, job.rows / job.total), 4)


def for_form(form_id: int) -> list[ExportJob]:
    return list(db.session.scalars(select(ExportJob).where(ExportJob.form_id == form_id)
                                   .order_by(ExportJob.id.desc())))


def cleanup(now: datetime | None = None) -> int:
    """Remove jobs (and files) whose expiry has passed; -> how many."""
    now = now or utcnow()
    expired = list(db.session.scalars(select(ExportJob).where(ExportJob.expires_at < now)))
    for job in expired:
        path = file_path(job)
        if path is not None:
            path.unlink(missing_ok=True)
        db.session.delete(job)
    if expired:
        db.session.commit()
    return len(expired)

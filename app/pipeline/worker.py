"""RQ workers for the pipeline: RQ's own, plus the outbox sweep on every maintenance tick.

`flask --app wsgi worker [--fork]` runs one inside the app, on the SMS send queue and the
pipeline queues. RQ's own command works too, with the same environment (DATABASE_URL,
REDIS_URL, PIPELINE_PREFIX...); the worker builds the app:

    rq worker -u "$REDIS_URL" --with-scheduler -w app.pipeline.worker.SimplePipelineWorker
        datashift-sms datashift-pipeline datashift-bulk

(--with-scheduler: retries wait out their backoff in RQ's scheduled registry.)
"""
from __future__ import annotations

import logging

from rq import Queue, SimpleWorker, Worker

from app.extensions import db
from app.pipeline import dispatch, jobs, poison, queues, reprocess, tagging

log = logging.getLogger(__name__)
SWEEP_LOCK_SECONDS = 30
# Half-written storage files of killed writers are looked for once an hour (a walk of the tree).
TEMP_SWEEP_SECONDS = 3600
# Rows sent to Redis longer ago than this and still pending are looked up again.
RECHECK_SECONDS = 600


class _SweepMixin:
    """At start and every `maintenance_interval` seconds: RQ's registry cleanup (which requeues
    jobs abandoned by a killed worker), re-tagging what a mapping or classifier change made
    stale, then re-sending outbox rows that never reached Redis."""

    def work(self, *args, **kwargs) -> bool:
        # Under `rq worker` there is no app yet: build it here, once. Load the classifier
        # before forking so every work-horse shares it instead of loading its own.
        with jobs.job_context():
            tagging.get_classifier()
            cap = poison.limit_worker_memory()
            if cap:
                log.info("worker address space capped at %s MiB", cap // 2 ** 20)
            self._sweep_storage_temp()
            return super().work(*args, **kwargs)  # type: ignore[misc]

    def _sweep_storage_temp(self) -> None:
        """At start and hourly (one worker at a time): stale `.tmp-*` files in STORAGE_DIR."""
        from app.services.storage import remove_stale_temp_files

        lock = f"{queues.queue_name(queues.FRESH)}:storage-temp-sweep"
        if not self.connection.set(lock, "1", nx=True, ex=TEMP_SWEEP_SECONDS):  # type: ignore[attr-defined]
            return
        try:
            removed = remove_stale_temp_files()
            if removed:
                log.info("storage sweep removed=%s stale temporary files", removed)
        except OSError:
            log.exception("storage sweep failed; the next hour tries again")

    def run_maintenance_tasks(self) -> None:
        super().run_maintenance_tasks()  # type: ignore[misc]
        if not any(q.name == queues.queue_name(queues.FRESH)
                   for q in self.queues):  # type: ignore[attr-defined]
            return  # an SMS-only worker under this class: nothing of the pipeline's to sweep
        lock = f"{queues.queue_name(queues.FRESH)}:sweep-lock"
        # One sweeper at a time across workers; a duplicate send would be harmless but wasteful.
        if not self.connection.set(lock, "1", nx=True, ex=SWEEP_LOCK_SECONDS):  # type: ignore[attr-defined]
            return
        self._sweep_storage_temp()
        try:
            retags = reprocess.request_stale_retags()
            sent = dispatch.sweep(recheck_after=RECHECK_SECONDS)
            if sent or retags:
                log.info("pipeline sweep sent=%s stale_retags=%s", sent, len(retags))
        except Exception:
            log.exception("pipeline sweep failed; the next tick tries again")
        finally:
            db.session.remove()


def worker_queues(pipeline: bool = True, sms: bool = True) -> list[Queue]:
    """What `flask worker` listens to, in order: SMS replies first (a person is waiting and
    each is one small job), then fresh submissions, then bulk re-processing."""
    from app import messaging_jobs

    out = [Queue(messaging_jobs.queue_name(), connection=queues.connection())] if sms else []
    if not pipeline:
        return out
    # Large exports (app/exports/jobs.py) last: long jobs that nobody watches second by second.
    from app.exports import jobs as export_jobs

    return [*out, *queues.all_queues(), export_jobs.queue()]


class PipelineWorker(_SweepMixin, Worker):
    """Forks a work-horse per job (RQ's default): a crash or leak dies with the horse, but each
    horse opens its own database connection, which costs most of a job's time."""


class SimplePipelineWorker(_SweepMixin, SimpleWorker):
    """Runs jobs in-process, reusing its connections (the default of `flask worker`); job
    timeouts still apply (SIGALRM), and a killed worker's job is requeued by RQ."""

"""RQ workers for the pipeline: RQ's own, plus the outbox sweep on every maintenance tick.

`flask --app wsgi worker` runs one inside the app. RQ's own command works too, with the same
environment (DATABASE_URL, REDIS_URL, ...); each job then builds the app once per process:
    rq worker -u "$REDIS_URL" --with-scheduler \
        -w app.pipeline.worker.PipelineWorker datashift-pipeline datashift-bulk
(--with-scheduler: retries wait out their backoff in RQ's scheduled registry.)
"""
from __future__ import annotations

import logging

from rq import SimpleWorker, Worker

from app.extensions import db
from app.pipeline import dispatch, jobs, tagging

log = logging.getLogger(__name__)
SWEEP_LOCK_SECONDS = 30


class _SweepMixin:
    """At start and every `maintenance_interval` seconds: RQ's registry cleanup (which requeues
    jobs abandoned by a killed worker), then re-send outbox rows that never reached Redis."""

    def work(self, *args, **kwargs) -> bool:
        # Under `rq worker` there is no app yet: build it here, once. Load the classifier
        # before forking so every work-horse shares it instead of loading its own.
        with jobs.job_context():
            tagging.get_classifier()
            return super().work(*args, **kwargs)  # type: ignore[misc]

    def run_maintenance_tasks(self) -> None:
        super().run_maintenance_tasks()  # type: ignore[misc]
        lock = f"{self.queues[0].name}:sweep-lock"  # type: ignore[attr-defined]
        # One sweeper at a time across workers; a duplicate send would be harmless but wasteful.
        if not self.connection.set(lock, "1", nx=True, ex=SWEEP_LOCK_SECONDS):  # type: ignore[attr-defined]
            return
        try:
            sent = dispatch.sweep()
            if sent:
                log.info("pipeline sweep sent=%s", sent)
        except Exception:
            log.exception("pipeline sweep failed; the next tick tries again")
        finally:
            db.session.remove()


class PipelineWorker(_SweepMixin, Worker):
    """Forks a work-horse per job (RQ's default): a crash or leak dies with the horse."""


class SimplePipelineWorker(_SweepMixin, SimpleWorker):
    """Runs jobs in-process: faster (no fork), for tests, benchmarks and small installs."""

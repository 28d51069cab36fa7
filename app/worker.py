"""`flask worker`: the one RQ worker, serving every queue (app.queues.WORKER_ORDER) inside the
app, with the RQ scheduler (delayed retries of SMS sends, pipeline rows, webhook deliveries).

At start and every PIPELINE_SWEEP_SECONDS it runs RQ's registry cleanup (which requeues jobs
abandoned by a killed worker), re-tags what a mapping or classifier change made stale, and
re-sends outbox rows that never reached Redis and SMS replies that never got a send job, and
enqueues the field-office sync when it is due (SYNC_EVERY_SECONDS); at start and hourly it
removes the half-written storage files of killed writers and files field offices abandoned
half-uploaded.
"""
from __future__ import annotations

import gc
import logging

import click
from rq import SimpleWorker, Worker

from app import queues
from app.config import setting
from app.extensions import db
from app.pipeline import dispatch, poison, reprocess, tagging
from app.services.storage import remove_stale_temp_files
from app.sync import jobs as sync_jobs

log = logging.getLogger(__name__)
SWEEP_LOCK_SECONDS = 30
# Half-written storage files of killed writers are looked for once an hour (a walk of the tree).
TEMP_SWEEP_SECONDS = 3600
# Rows sent to Redis longer ago than this and still pending are looked up again.
RECHECK_SECONDS = 600
# A reply still queued this long after it was stored (or last tried) lost its send job.
SMS_RESEND_AFTER_SECONDS = 60


class _Sweeping:
    def work(self, *args, **kwargs) -> bool:
        # A session of its own (the caller's stays as it was); the classifier loaded before
        # any fork, so every work-horse shares it.
        with queues.job_context():
            tagging.get_classifier()
            self._sweep_storage_temp()
            return super().work(*args, **kwargs)  # type: ignore[misc]

    def _sweep_storage_temp(self) -> None:
        """At start and hourly (one worker at a time): stale `.tmp-*` files in STORAGE_DIR."""
        lock = f"{queues.queue_name(queues.FRESH)}:storage-temp-sweep"
        if not self.connection.set(lock, "1", nx=True, ex=TEMP_SWEEP_SECONDS):  # type: ignore[attr-defined]
            return
        try:
            removed = remove_stale_temp_files()
            if removed:
                log.info("storage sweep removed=%s stale temporary files", removed)
            sync_jobs.sweep_uploads()
        except OSError:
            log.exception("storage sweep failed; the next hour tries again")

    def _serves(self, kind: str) -> bool:
        return any(q.name == queues.queue_name(kind) for q in self.queues)  # type: ignore[attr-defined]

    def _sweep_sms(self) -> None:
        """Replies stored while Redis was down (their send job never made) are handed to the
        sender, as the outbox sweep does for pipeline rows; one sweeper at a time."""
        from app.messaging import jobs, outbound

        lock = f"{queues.queue_name(queues.SMS)}:sweep-lock"
        if not self.connection.set(lock, "1", nx=True, ex=SWEEP_LOCK_SECONDS):  # type: ignore[attr-defined]
            return
        try:
            ids = outbound.queued_ids(older_than=SMS_RESEND_AFTER_SECONDS, limit=1000)
            if ids:
                jobs.enqueue_send(ids)
                log.info("sms sweep sent=%s queued replies", len(ids))
        except Exception:
            log.exception("sms sweep failed; the next tick tries again")
        finally:
            db.session.remove()

    def run_maintenance_tasks(self) -> None:
        super().run_maintenance_tasks()  # type: ignore[misc]
        if self._serves(queues.SMS):
            self._sweep_sms()
        if self._serves(queues.SYNC):
            self._schedule_sync()
        if not any(q.name == queues.queue_name(queues.FRESH)
                   for q in self.queues):  # type: ignore[attr-defined]
            return  # a worker without the pipeline's queue: nothing of the pipeline's to sweep
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

    def _schedule_sync(self) -> None:
        """Enqueue the field-office sync when it is due (at most once per SYNC_EVERY_SECONDS
        across workers: app/sync/jobs.py)."""
        try:
            sync_jobs.schedule_due(queues.queue(queues.SYNC))
        except Exception:
            log.exception("scheduling the field-office sync failed; the next tick tries again")
        finally:
            db.session.remove()


def cap_memory() -> None:
    """Cap this worker process's address space (PIPELINE_JOB_MEMORY_MB above its size with the
    classifier loaded). Only a process that is a worker for life calls this: the cap cannot be
    lifted again, and a test or web process that ran a burst of jobs must keep its own limits
    (a JVM for ODK Validate reserves more address space than the cap allows)."""
    with queues.job_context():
        tagging.get_classifier()
    cap = poison.limit_worker_memory()
    if cap:
        log.info("worker address space capped at %s MiB", cap // 2 ** 20)


class InProcessWorker(_Sweeping, SimpleWorker):
    """Runs jobs in-process, reusing its connections (the default); job timeouts still apply
    (SIGALRM), and a killed worker's job is requeued by RQ."""


class ForkingWorker(_Sweeping, Worker):
    """Forks a work-horse per job (RQ's default): a crash or leak dies with the horse, but each
    horse opens its own database connection, which costs most of a job's time."""


@click.command("worker")
@click.option("--fork", is_flag=True,
              help="Fork a work-horse per job (isolation; about 5x slower on PostgreSQL).")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@click.option("--queue", "kinds", multiple=True, type=click.Choice(queues.WORKER_ORDER),
              help="Serve only these queues (repeatable); default: all of them.")
@click.option("--no-sms", is_flag=True, help="Leave the SMS send queue to other workers.")
def worker(fork: bool, burst: bool, kinds: tuple[str, ...], no_sms: bool) -> None:
    """Run an RQ worker on the SMS, pipeline, bulk, exports and sync queues, inside the app."""
    if not queues.redis_url():
        raise click.UsageError("REDIS_URL is not set: work runs inline, no worker needed")
    served = [k for k in (kinds or queues.WORKER_ORDER) if not (no_sms and k == queues.SMS)]
    cls = ForkingWorker if fork else InProcessWorker
    cap_memory()
    db.session.remove()
    # RQ forks its scheduler (and, with --fork, each work-horse) from this process: objects
    # loaded so far (the app, the classifier) are left out of garbage collection, so a child's
    # collections do not write to, and so copy, the pages it shares with us.
    gc.freeze()
    cls(queues.worker_queues(served), connection=queues.connection(),
        maintenance_interval=int(setting("PIPELINE_SWEEP_SECONDS"))).work(
        burst=burst, with_scheduler=True)

"""The sync job the RQ worker runs every SYNC_EVERY_SECONDS, and the settings of a run.

A worker's maintenance tick (app/worker.py) calls `schedule_due`, which enqueues
`sync_all` at most once per interval across every worker (a Redis key with that expiry);
each peer's lease keeps a run from overlapping another (`flask sync run` at the console, or a
run that outlived its interval).
"""
from __future__ import annotations

import logging

from rq import Queue
from sqlalchemy import select

from app import queues
from app.config import setting
from app.extensions import db
from app.models import SyncPeer
from app.sync.run import Busy, RunReport, run_peer
from sync.push import Limits
from sync.wire import WireOptions

log = logging.getLogger(__name__)
JOB_TIMEOUT = 3600


def wire_options(verify_tls: bool = True) -> WireOptions:
    return WireOptions(verify_tls=verify_tls, read_timeout=float(setting("SYNC_TIMEOUT_SECONDS")),
                       retries=setting("SYNC_RETRIES"), backoff=setting("SYNC_BACKOFF_SECONDS"))


def limits() -> Limits:
    return Limits(batch_items=setting("SYNC_BATCH_ITEMS"), batch_bytes=setting("SYNC_BATCH_BYTES"),
                  chunk_bytes=setting("SYNC_CHUNK_BYTES"),
                  max_chunk_bytes=setting("SYNC_MAX_CHUNK_BYTES"),
                  target_seconds=float(setting("SYNC_TARGET_SECONDS")))


def peer_ids() -> list[int]:
    return list(db.session.scalars(select(SyncPeer.id).order_by(SyncPeer.id)))


def run_all(only: int | None = None, progress=None) -> list[RunReport | str]:
    """One run per peer (or the one asked for); a peer another run holds is reported as
    a string instead of a report."""
    out: list[RunReport | str] = []
    for peer_id in ([only] if only is not None else peer_ids()):
        try:
            out.append(run_peer(peer_id, wire_options(), limits(), progress))
        except Busy as busy:
            out.append(str(busy))
    return out


def sync_all() -> dict:
    """The RQ job: every peer once. Returns what it did, for RQ's result."""
    with queues.job_context():
        summary = {}
        for report in run_all():
            if isinstance(report, str):
                log.info("sync skipped: %s", report)
                continue
            summary[report.peer_id] = {"complete": report.complete, "error": report.error,
                                       "stored": report.pushed.stored,
                                       "waiting": report.waiting}
            log.info("sync peer=%s complete=%s stored=%s waiting=%s error=%s",
                     report.peer_id, report.complete, report.pushed.stored, report.waiting,
                     report.error)
        return summary


def schedule_due(queue: Queue) -> bool:
    """Enqueue `sync_all` unless it was enqueued less than SYNC_EVERY_SECONDS ago (or there
    is no peer, or the interval is 0)."""
    every = setting("SYNC_EVERY_SECONDS")
    if every <= 0 or not peer_ids():
        return False
    if not queue.connection.set(f"{queue.name}:sync-due", "1", nx=True, ex=every):
        return False
    queue.enqueue(sync_all, job_timeout=JOB_TIMEOUT, result_ttl=every,
                  description="field-office sync")
    return True


def sweep_uploads() -> int:
    """Remove files half-uploaded by field offices and untouched for SYNC_UPLOAD_TTL_SECONDS
    (a central server's hourly worker tick); returns how many."""
    from sync import staging

    removed = staging.sweep(setting("STORAGE_DIR"),
                            setting("SYNC_UPLOAD_TTL_SECONDS"))
    if removed:
        log.info("sync: removed %s abandoned upload(s)", removed)
    return removed

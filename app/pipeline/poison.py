"""Poison submissions: bounded cost per version, and a version that kills its worker twice is
quarantined instead of taking the pipeline down with it (issue 12).

Two bounds while a worker processes versions:
- memory: `flask worker` caps its own address space (RLIMIT_AS) at its size when it starts
  plus PIPELINE_JOB_MEMORY_MB, so a runaway allocation raises MemoryError in the version that
  made it (left out of its batch like any failing version) instead of growing until the
  kernel kills the worker;
- time: each version's cleaning and tagging gets PIPELINE_VERSION_CPU_SECONDS of CPU (a
  SIGVTALRM timer, in the worker's main thread), then raises VersionTooCostly.

What no bound catches (the kernel's OOM killer, a segfault, SIGKILL) is counted, as for every
kind of job (app/quarantine.py): before a batch runs, Redis counts a start for each of its
rows; the commit clears them. A row claimed
again with a start still counted was in a batch whose worker died, so it leaves the batch for
a job of its own: the rest of the batch goes on. A row whose own job finds it started
KILLS_BEFORE_QUARANTINE times already is not run again: it is quarantined (recorded as failed
with the reason, in RQ's failed registry: `/health`, `GET /v1/pipeline/failed`) until
`flask pipeline retry-failed` sends it round once more.
"""
from __future__ import annotations

import contextlib
import logging
import resource
import signal
import threading
from collections.abc import Iterable, Iterator

from app import quarantine
from app.config import setting

log = logging.getLogger(__name__)
KILLS_BEFORE_QUARANTINE = quarantine.KILLS_BEFORE_QUARANTINE


class VersionTooCostly(RuntimeError):
    """A version used more than its CPU time."""


# --- bounds ------------------------------------------------------------------------------------

def limit_worker_memory() -> int | None:
    """Cap this process's address space at its current size + PIPELINE_JOB_MEMORY_MB (0: no
    cap); -> the cap in bytes. Called once by a worker before it takes jobs."""
    extra = int(setting("PIPELINE_JOB_MEMORY_MB"))
    if extra <= 0:
        return None
    try:
        with open("/proc/self/statm") as statm:
            size = int(statm.read().split()[0]) * resource.getpagesize()
    except OSError:  # not Linux: no cheap way to know our size; leave it uncapped
        log.warning("PIPELINE_JOB_MEMORY_MB ignored: /proc/self/statm unreadable")
        return None
    cap = size + extra * 1024 * 1024
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    return cap


@contextlib.contextmanager
def cpu_bound() -> Iterator[None]:
    """Raise VersionTooCostly in the block after PIPELINE_VERSION_CPU_SECONDS of CPU. Only in
    the main thread (signals): inline processing in a web thread is bounded by the request."""
    seconds = float(setting("PIPELINE_VERSION_CPU_SECONDS"))
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return

    def _expired(_signum, _frame):
        raise VersionTooCostly(f"used more than {seconds:g} s of CPU")

    previous = signal.signal(signal.SIGVTALRM, _expired)
    signal.setitimer(signal.ITIMER_VIRTUAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_VIRTUAL, 0)
        signal.signal(signal.SIGVTALRM, previous)


# --- counting starts that never finished (app/quarantine.py, kind "pipeline") ---------------

def started(outbox_ids: Iterable[int]) -> dict[int, int]:
    """Count a start for each row; -> its starts so far, this one included."""
    return quarantine.started(quarantine.PIPELINE, outbox_ids)


def finished(outbox_ids: Iterable[int]) -> None:
    """These rows' run ended (committed, or failed with an error we recorded)."""
    quarantine.finished(quarantine.PIPELINE, outbox_ids)


def forget(outbox_ids: Iterable[int]) -> None:
    """retry-failed: a quarantined row starts again from nothing."""
    quarantine.forget(quarantine.PIPELINE, outbox_ids)


def interrupted(outbox_ids: Iterable[int]) -> set[int]:
    """Rows with a start counted and never finished: their last worker died on them (or
    another worker holds them now, which a claim's row locks rule out)."""
    return quarantine.interrupted(quarantine.PIPELINE, outbox_ids)


def quarantine_reason(outbox_id: int, starts: int) -> str | None:
    """Why a row starting for the `starts`-th time must not run, or None when it may."""
    return quarantine.reason(quarantine.PIPELINE, outbox_id, starts)

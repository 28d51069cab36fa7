"""Forked processes keep sharing what their parent loaded: gunicorn's workers fork from the
master (preload_app) and RQ's scheduler from `flask worker`; both parents freeze their objects
out of garbage collection first (gc.freeze), so a child's full collection writes to none of
those pages and does not copy them (the production set's memory, bench/ingest.py)."""
from __future__ import annotations

import gc
import os
import runpy
from pathlib import Path

import pytest

import app.worker as worker_module

ROOT = Path(__file__).resolve().parents[3]


def _private_dirty_kib() -> int:
    for line in Path("/proc/self/smaps_rollup").read_text().splitlines():
        if line.startswith("Private_Dirty:"):
            return int(line.split()[1])
    raise AssertionError("no Private_Dirty in smaps_rollup")


def _copied_by_child_collection() -> int:
    """KiB a forked child makes private by one full garbage collection."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: measure, collect, measure, report, leave at once
        os.close(read)
        before = _private_dirty_kib()
        gc.collect()
        os.write(write, str(_private_dirty_kib() - before).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        copied = int(pipe.read())
    os.waitpid(pid, 0)
    return copied


@pytest.fixture
def loaded(app):
    """Enough long-lived objects for the difference to show (as the app's modules are)."""
    ballast = [{"n": i, "s": str(i)} for i in range(300_000)]
    yield ballast
    gc.unfreeze()


@pytest.mark.skipif(not Path("/proc/self/smaps_rollup").exists(), reason="Linux /proc only")
def test_gunicorn_pre_fork_freezes_so_a_workers_collection_copies_little(loaded):
    gc.unfreeze()
    unfrozen = _copied_by_child_collection()
    runpy.run_path(str(ROOT / "gunicorn.conf.py"))["pre_fork"](None, None)
    assert gc.get_freeze_count() > 0
    frozen = _copied_by_child_collection()
    assert frozen * 4 < unfrozen, (frozen, unfrozen)


def test_flask_worker_freezes_before_rq_forks_its_scheduler(app, runner, redis_url,
                                                            monkeypatch):
    frozen_at_work: list[int] = []

    def work(self, *args, **kwargs) -> bool:
        frozen_at_work.append(gc.get_freeze_count())
        return True

    monkeypatch.setattr(worker_module.InProcessWorker, "work", work)
    monkeypatch.setattr(worker_module, "cap_memory", lambda: None)
    app.config["REDIS_URL"] = redis_url
    gc.unfreeze()
    try:
        result = runner.invoke(args=["worker", "--burst"])
    finally:
        gc.unfreeze()
    assert result.exit_code == 0, result.output
    assert frozen_at_work and frozen_at_work[0] > 0

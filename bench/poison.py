"""Poison submissions against real pipeline workers on PostgreSQL and Redis. One command, prints
its figures:

    TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \
    REDIS_URL=redis://127.0.0.1:6379/14 .venv/bin/python bench/poison.py [--batch 100]

1. Worker peak memory (RSS) processing the largest submission MAX_SUBMISSION_BYTES allows (one
   text answer of that size) under the default PIPELINE_JOB_MEMORY_MB, beside a worker that
   processes a small one.
2. A batch of --batch submissions with one poison among them that kills its worker (SIGKILL,
   as the kernel's OOM killer would) whenever it is processed; a supervisor loop restarts the
   worker each time it dies, as systemd would. Time from the poison's arrival to the rest of
   its batch being processed, and how many times the poison killed a worker.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._common import drop_redis_keys, temp_database  # noqa: E402
from bench.ingest import _setup  # noqa: E402

XML = ('<?xml version="1.0"?><data id="bench" version="1"><site>Kibera</site><county>nairobi'
       '</county><households>42</households><notes>{notes}</notes><meta><instanceID>{iid}'
       '</instanceID></meta></data>')


def _worker(url: str, prefix: str, storage: str, hours: int = 0) -> tuple[int, int]:
    """One burst worker process (tests/pipeline/poison_worker.py); -> (exit code, its own
    peak RSS in KiB, VmHWM; 0 when it was killed)."""
    peak_file = Path(storage) / "peak-rss"
    peak_file.unlink(missing_ok=True)
    process = subprocess.run(
        [sys.executable, "-m", "tests.pipeline.poison_worker", url, os.environ["REDIS_URL"],
         prefix, *([str(hours)] if hours else [])],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), "STORAGE_DIR": storage,
                       "PEAK_RSS_FILE": str(peak_file)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=900)
    peak = int(peak_file.read_text()) if peak_file.exists() else 0
    return process.returncode, peak


def _submit(app, project_id: int, notes: str) -> int:
    from app.extensions import db
    from sync.ingest import ingest

    with app.app_context():
        result = ingest(project_id=project_id, xml=XML.format(
            notes=notes, iid=f"uuid:{uuid.uuid4()}").encode(), attachments={}, channel="api",
            submitter_id=None, device_id=None)
        db.session.remove()
        return result.def_id


def _done(app, def_ids: list[int]) -> int:
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import PipelineOutbox

    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(PipelineOutbox).where(
            PipelineOutbox.submission_def_id.in_(def_ids),
            PipelineOutbox.processed_at.is_not(None)))
        db.session.remove()
        return count or 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()
    if not os.environ.get("REDIS_URL"):
        raise SystemExit("REDIS_URL must be set (the pipeline's workers need Redis)")
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    from app import create_app
    from app.config import from_environment

    largest = from_environment()["MAX_SUBMISSION_BYTES"] - 4096
    memory_cap = from_environment()["PIPELINE_JOB_MEMORY_MB"]
    with temp_database() as (url, storage):
        project_id, _token = _setup(url, storage)
        prefix = f"bench-{uuid.uuid4().hex[:8]}"
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "STORAGE_DIR": storage,
                          "REDIS_URL": os.environ["REDIS_URL"], "QUEUE_PREFIX": prefix,
                          "PIPELINE_BATCH": args.batch, "ODK_VALIDATE": False})
        try:
            # 1. Memory: a worker processing the largest allowed submission, and one a small.
            big = _submit(app, project_id, "x" * largest)
            code, big_kib = _worker(url, prefix, storage)
            big_ok = _done(app, [big]) == 1
            small = _submit(app, project_id, "pump handle loose")
            _code, small_kib = _worker(url, prefix, storage)
            small_ok = _done(app, [small]) == 1

            # 2. One poison in a batch; a supervisor restarts the worker whenever it dies.
            half = args.batch // 2
            good = [_submit(app, project_id, f"borehole {i}") for i in range(half)]
            arrived = time.perf_counter()
            _submit(app, project_id, "KILL-THE-WORKER")
            good += [_submit(app, project_id, f"kiosk {i}") for i in range(args.batch - half - 1)]
            deaths, runs, hours = 0, 0, 0
            while _done(app, good) < len(good) and runs < 30:
                runs += 1
                # Each run's RQ clock an hour further ahead: a dead worker's job counts as
                # abandoned at once (in production, when its heartbeat lapses).
                hours += 1
                code, _ = _worker(url, prefix, storage, hours)
                deaths += code == -9
                if code == 0 and _done(app, good) < len(good):
                    time.sleep(1)
            took = time.perf_counter() - arrived
            rest_done = _done(app, good)
        finally:
            with app.app_context():
                from app.extensions import db

                db.engine.dispose()
            drop_redis_keys(prefix)
    load_after = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"poison: real burst workers (app.worker.InProcessWorker, fake classifier), "
          f"PostgreSQL, Redis,"
          f" {os.cpu_count()} cores; load average before: {load}, after: {load_after}")
    print(f"largest allowed submission ({largest / 2 ** 20:.0f} MiB text answer), "
          f"PIPELINE_JOB_MEMORY_MB={memory_cap}: worker peak RSS {big_kib / 1024:.0f} MiB, "
          f"{'processed' if big_ok else 'failed alone (memory cap)'}; a small submission: "
          f"{small_kib / 1024:.0f} MiB ({'processed' if small_ok else 'not processed'})")
    print(f"poison in a batch of {args.batch}: the other {rest_done}/{len(good)} processed "
          f"{took:.1f} s after it arrived; it killed {deaths} workers ({runs} worker runs)")


if __name__ == "__main__":
    main()

"""Background exports on PostgreSQL: what a job costs beside the plain stream.

    TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \
    .venv/bin/python bench/export_jobs.py [--sizes 100000] [--quick]

Fills a temporary database as bench/export.py does (10 fields + one repeat), then for the CSV
zip measures in-process: the COUNT that decides sync or 202, the stream (bytes discarded),
and a background job run inline (file written and fsynced under STORAGE_DIR/exports/,
progress written every EXPORT_PROGRESS_ROWS rows). With REDIS_URL set, also the same job
through RQ (enqueue + a burst SimpleWorker in this process). The database is dropped at the end.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from export import fill, instance_data, setup  # noqa: E402

from bench._common import load, temp_database  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000")
    parser.add_argument("--quick", action="store_true", help="10,000 rows (< 1 min)")
    args = parser.parse_args()
    sizes = [10_000] if args.quick else [int(s) for s in args.sizes.split(",")]
    with temp_database("dsc_bench_export") as (url, storage):
        app, (_project_id, form_id, version_id), model = setup(url, storage)
        xml, data = instance_data(model)
        redis_url = os.environ.get("REDIS_URL") or None
        print(f"{'rows':>8} {'count s':>8} {'stream s':>9} {'rows/s':>8} {'job s':>7} "
              f"{'rows/s':>8} {'job/stream':>10} {'rq job s':>9}  load")
        have = 0
        for size in sizes:
            fill(app, form_id, version_id, xml, data, size, have)
            have = size
            with app.app_context():
                from app.exports import formats, jobs
                from app.exports.spec import ExportSpec, Source
                from app.extensions import db

                spec = ExportSpec(form_id=form_id, format="csv.zip")
                start = time.perf_counter()
                total = Source(spec).count()
                count_s = time.perf_counter() - start
                start = time.perf_counter()
                for _chunk in formats.produce(spec):
                    pass
                stream_s = time.perf_counter() - start
                db.session.commit()
                job = jobs.create(spec, None, total)
                start = time.perf_counter()
                status = jobs.run(job.id)
                job_s = time.perf_counter() - start
                assert status == "done", status
                rq_s = float("nan")
                if redis_url:
                    rq_s = _rq(app, spec, total, redis_url)
            print(f"{size:>8} {count_s:>8.3f} {stream_s:>9.1f} {size / stream_s:>8.0f} "
                  f"{job_s:>7.1f} {size / job_s:>8.0f} {job_s / stream_s:>10.2f} "
                  f"{rq_s:>9.1f}  {load()}", flush=True)


def _rq(app, spec, total: int, redis_url: str) -> float:
    from redis import Redis
    from rq import SimpleWorker

    from app import queues
    from app.exports import jobs
    from app.extensions import db
    from app.models import ExportJob

    prefix = f"bench{uuid.uuid4().hex[:8]}"
    app.config.update(REDIS_URL=redis_url, QUEUE_PREFIX=prefix)
    try:
        job = jobs.create(spec, None, total)
        start = time.perf_counter()
        jobs.dispatch(job)
        db.session.remove()
        SimpleWorker([jobs.queue()], connection=queues.connection()).work(burst=True)
        seconds = time.perf_counter() - start
        assert db.session.get(ExportJob, job.id).status == "done"
        return seconds
    finally:
        conn = Redis.from_url(redis_url)
        keys = list(conn.scan_iter(f"rq:*{prefix}*"))
        if keys:
            conn.delete(*keys)
        app.config.update(REDIS_URL=None)


if __name__ == "__main__":
    main()

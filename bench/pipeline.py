"""Pipeline throughput (clean + SDG tag) with 1 and 2 RQ workers on PostgreSQL, and the time
to drain a backlog queued while the workers were down. One command, prints its figures:

    TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \
    .venv/bin/python bench/pipeline.py [--n 400] [--backlog 3000] [--fork]

A fresh PostgreSQL database and a private redis-server are created and removed. Submissions
are water_point instances (12 answers, two free-text ones in en/sw/es/ne, the real classifier)
written straight into the tables with their outbox rows, as if ingest had run while no worker
was up; `dispatch.sweep` then puts them on the queue, and `flask worker --burst` processes
them (in-process, the default; --fork: a forked work-horse per job, RQ's default).
"""
from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, func, insert, select, text  # noqa: E402

from app import create_app, migrate  # noqa: E402
from app.config import sqlalchemy_url  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import PipelineOutbox, Submission, SubmissionDef  # noqa: E402
from app.models.base import utcnow  # noqa: E402
from tests.pipeline.conftest import water_xml  # noqa: E402

TEXTS = [
    "The borehole pump broke last month and women walk two hours to the river for water",
    "Maji ya kisima ni machafu na watoto wanaugua kuhara kila wiki",
    "La escuela no tiene agua potable ni baños para las niñas",
    "गाउँको धारा बिग्रिएको छ र पानी लिन धेरै टाढा जानुपर्छ",
    "Vendors charge 50 shillings for a jerrycan, too expensive for poor households",
    "",
]
OTHER = ["bottled water", "tanker truck", "", "maji ya bomba"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_redis() -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([shutil.which("redis-server") or "redis-server", "--port", str(port),
                             "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    return proc, f"redis://127.0.0.1:{port}/0"


def seed(form, n: int) -> None:
    """n submissions with their outbox rows, committed, as ingest would leave them."""
    version = form.current_version
    start = db.session.scalar(select(func.count()).select_from(Submission)) or 0
    for lo in range(0, n, 1000):
        batch = range(start + lo, start + min(n, lo + 1000))
        subs, defs = [], []
        for i in batch:
            iid = f"uuid:{uuid.UUID(int=i + 1)}"
            xml = water_xml(version.version, iid, comments=TEXTS[i % len(TEXTS)],
                            source_other=OTHER[i % len(OTHER)],
                            days_broken=str(i % 30) if i % 17 else "a week").decode()
            subs.append({"id": i + 1, "form_id": form.id, "instance_id": iid, "channel": "api",
                         "created_at": utcnow()})
            defs.append({"id": i + 1, "submission_id": i + 1, "form_id": form.id,
                         "form_version_id": version.id, "instance_id": iid, "xml": xml,
                         "xml_sha256": hashlib.sha256(xml.encode()).hexdigest(), "data": {},
                         "current": True, "created_at": utcnow()})
        db.session.execute(insert(Submission), subs)
        db.session.execute(insert(SubmissionDef), defs)
        db.session.execute(insert(PipelineOutbox), [
            {"submission_def_id": d["id"], "event": "submission.created",
             "created_at": utcnow(), "attempts": 0} for d in defs])
        db.session.commit()
    for table in ("submissions", "submission_defs", "pipeline_outbox"):
        db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                f"(SELECT max(id) FROM {table}))"))
    db.session.commit()


def pending() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(PipelineOutbox).where(
        PipelineOutbox.processed_at.is_(None))) or 0


def run_workers(count: int, env: dict[str, str], simple: bool) -> tuple[float, float]:
    """Start `count` burst workers; -> (seconds until the queue was empty, of which start-up)."""
    args = [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--burst"]
    args += [] if simple else ["--fork"]
    began = time.perf_counter()
    total = pending()
    procs = [subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL) for _ in range(count)]
    first = None
    while True:
        left = pending()
        if first is None and left < total:
            first = time.perf_counter()
        if left == 0:
            break
        if all(p.poll() is not None for p in procs):
            raise SystemExit(f"workers exited with {left} rows still pending")
        time.sleep(0.1)
    ended = time.perf_counter()
    for p in procs:
        p.wait(timeout=120)
    return ended - began, (first or ended) - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=400, help="submissions per throughput run")
    parser.add_argument("--backlog", type=int, default=3000, help="backlog size to drain")
    parser.add_argument("--fork", action="store_true", help="fork a work-horse per job")
    opts = parser.parse_args()

    server = sqlalchemy_url(os.environ.get("TEST_DATABASE_URL")
                            or "postgresql://postgres@127.0.0.1:5432/postgres")
    name = f"bench_pipeline_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = f"{server.rpartition('/')[0]}/{name}"
    redis_proc, redis_url = start_redis()
    storage = tempfile.mkdtemp(prefix="bench-pipeline-")
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": redis_url, "STORAGE_DIR": storage,
           "PIPELINE_PREFIX": "bench", "PYTHONPATH": str(ROOT), "SECRET_KEY": "bench",
           "PHONE_HASH_KEY": "bench"}
    try:
        migrate.upgrade(url)
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": redis_url,
                          "PIPELINE_PREFIX": "bench", "STORAGE_DIR": storage,
                          "SECRET_KEY": "bench", "ODK_VALIDATE": False})
        with app.app_context():
            report(app, env, opts)
    finally:
        redis_proc.terminate()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        shutil.rmtree(storage, ignore_errors=True)


def report(app, env: dict[str, str], opts) -> None:
    from app.pipeline import dispatch
    from app.services.forms import create_form
    from app.services.projects import create_project
    from forms.xlsform import compile_upload

    path = ROOT / "tests" / "fixtures" / "forms" / "water_point.xlsx"
    compiled = compile_upload(path.read_bytes(), None, path.name, validate=False,
                              ignore_warnings=True)
    form = create_form(create_project("Bench").id, compiled, None, publish=True)
    db.session.commit()
    mode = "Worker, a forked horse per job" if opts.fork else "SimpleWorker, in-process"
    print(f"pipeline bench: PostgreSQL, private Redis, water_point, real classifier, {mode}, "
          f"{os.cpu_count()} cores, load average at start {os.getloadavg()[0]:.1f}")
    for workers in (1, 2):
        seed(form, opts.n)
        dispatch.sweep()
        wall, startup = run_workers(workers, env, not opts.fork)
        print(f"  throughput, {workers} worker(s): {opts.n / (wall - startup):7.1f} submissions/s "
              f"({opts.n} in {wall - startup:.1f} s after {startup:.1f} s worker start-up)")

    seed(form, opts.backlog)
    began = time.perf_counter()
    dispatch.sweep()
    enqueue = time.perf_counter() - began
    wall, startup = run_workers(2, env, not opts.fork)
    clear = enqueue + wall
    print(f"  backlog of {opts.backlog} queued while workers were down, 2 workers: cleared in "
          f"{clear:.1f} s (sweep to Redis {enqueue:.1f} s, workers {wall:.1f} s)")
    print(f"  load average at end {os.getloadavg()[0]:.1f} (other work on the machine slows "
          "every figure)")
    if opts.backlog != 100_000:
        scale = 100_000 / opts.backlog
        print(f"  EXTRAPOLATED (linear, not measured) for 100,000: "
              f"~{clear * scale / 60:.0f} min (sweep ~{enqueue * scale:.0f} s)")


if __name__ == "__main__":
    main()

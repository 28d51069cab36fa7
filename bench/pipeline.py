"""Pipeline throughput (clean + SDG tag) with 1 and 2 RQ workers on PostgreSQL, the time to
drain a backlog queued while the workers were down, and round trips per submission.

    .venv/bin/python bench/pipeline.py [--n 5000] [--backlog 20000] [--quick] [--fork]
    .venv/bin/python bench/pipeline.py --backlog 100000      # the issue's 100,000 backlog

TEST_DATABASE_URL names the PostgreSQL server (default postgresql://postgres@127.0.0.1:5432/
postgres); a fresh database and a private redis-server are created and removed.

Submissions are water_point instances (12 answers, two free-text ones in en/sw/es/ne, the real
classifier). Twenty-four are stored through `sync.ingest` (the one door); the rest are copies
of those rows (submissions, submission_defs, pipeline_outbox: every column as ingest wrote it,
with a new instanceID in the XML and the data) bulk-inserted in the same tables, as if ingest
had run while no worker was up. `dispatch.sweep` then queues the drain job, and `flask worker
--burst` processes (in-process, the default; --fork: a forked work-horse per job). Throughput
counts the rows done after the first were seen done (so start-up and the first batch are out);
the backlog is timed from the sweep and the workers' start to the last row.
"""
from __future__ import annotations

import argparse
import copy
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

from sqlalchemy import create_engine, event, func, insert, select, text  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import PipelineOutbox, Submission, SubmissionDef  # noqa: E402
from bench._common import create_database, free_port, load  # noqa: E402
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
TEMPLATES = 24
CHUNK = 5000


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


class Seeder:
    """Stores TEMPLATES submissions through sync.ingest once, then copies their rows."""

    def __init__(self, form) -> None:
        self.form = form
        self.templates: list[tuple[dict, dict, dict]] = []

    def ingest_templates(self, app) -> None:
        from sync.ingest import ingest

        version = self.form.current_version.version
        url = app.config["REDIS_URL"]
        app.config["REDIS_URL"] = None  # nothing queued for these: they are only templates
        for i in range(TEMPLATES):
            xml = water_xml(version, comments=TEXTS[i % len(TEXTS)],
                            source_other=OTHER[i % len(OTHER)],
                            days_broken=str(i % 30) if i % 7 else "a week")
            result = ingest(project_id=self.form.project_id, xml=xml, attachments={},
                            channel="api", submitter_id=None, device_id=None)
            sub = db.session.execute(select(Submission.__table__).where(
                Submission.id == result.submission_id)).mappings().one()
            sdef = db.session.execute(select(SubmissionDef.__table__).where(
                SubmissionDef.id == result.def_id)).mappings().one()
            row = db.session.execute(select(PipelineOutbox.__table__).where(
                PipelineOutbox.id == result.outbox_ids[0])).mappings().one()
            self.templates.append((dict(sub), dict(sdef), dict(row)))
        app.config["REDIS_URL"] = url
        # Templates are not part of any measured run: their copies start pending.
        for table in ("sdg_tags", "cleaned_records", "pipeline_outbox"):
            db.session.execute(text(f"DELETE FROM {table}"))
        db.session.commit()
        for _, _, row in self.templates:
            row.update(processed_at=None, enqueued_at=None, attempts=0, last_error=None)

    def seed(self, n: int) -> float:
        """n new submissions with pending outbox rows, committed; -> seconds taken."""
        began = time.perf_counter()
        start = db.session.scalar(select(func.max(Submission.id))) or 0
        outbox_start = db.session.scalar(select(func.max(PipelineOutbox.id))) or 0
        for lo in range(0, n, CHUNK):
            subs, defs, rows = [], [], []
            for i in range(lo, min(n, lo + CHUNK)):
                sub, sdef, row = self.templates[i % TEMPLATES]
                new_id, iid = start + i + 1, f"uuid:{uuid.uuid4()}"
                subs.append({**sub, "id": new_id, "instance_id": iid})
                xml = sdef["xml"].replace(sdef["instance_id"], iid)
                data = copy.deepcopy(sdef["data"])
                for key, value in list(data.items()) if isinstance(data, dict) else ():
                    if value == sdef["instance_id"]:
                        data[key] = iid
                defs.append({**sdef, "id": new_id, "submission_id": new_id, "instance_id": iid,
                             "xml": xml, "data": data,
                             "xml_sha256": hashlib.sha256(xml.encode()).hexdigest()})
                rows.append({**row, "id": outbox_start + i + 1, "submission_def_id": new_id})
            db.session.execute(insert(Submission.__table__), subs)
            db.session.execute(insert(SubmissionDef.__table__), defs)
            db.session.execute(insert(PipelineOutbox.__table__), rows)
            db.session.commit()
        for table in ("submissions", "submission_defs", "pipeline_outbox"):
            db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                    f"(SELECT max(id) FROM {table}))"))
        db.session.execute(text("ANALYZE submissions, submission_defs, pipeline_outbox"))
        db.session.commit()
        return time.perf_counter() - began


def pending() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(PipelineOutbox).where(
        PipelineOutbox.processed_at.is_(None))) or 0


def run_workers(count: int, env: dict[str, str], fork: bool) -> tuple[float, float, float]:
    """Start `count` burst workers; -> (seconds until no row was pending, seconds before the
    first rows were done (start-up, the app and the classifier loading, the first batch),
    rows per second from then on)."""
    args = [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--burst", "--no-sms"]
    args += ["--fork"] if fork else []
    total = pending()
    began = time.perf_counter()
    procs = [subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL) for _ in range(count)]
    first, left_at_first = None, total
    while True:
        left = pending()
        if first is None and left < total:
            first, left_at_first = time.perf_counter(), left
        if left == 0:
            break
        if all(p.poll() is not None for p in procs):
            raise SystemExit(f"workers exited with {left} rows still pending")
        time.sleep(0.05)
    ended = time.perf_counter()
    for p in procs:
        p.wait(timeout=120)
    first = first or ended
    rate = left_at_first / (ended - first) if ended > first else float("nan")
    return ended - began, first - began, rate


class Trips:
    """Counts database round trips (statements, BEGIN, COMMIT, ROLLBACK) and Redis ones (a
    command, or a whole pipeline) in this process."""

    def __init__(self) -> None:
        self.db = self.redis = self.listeners = 0
        self._in_listeners = False

    def __enter__(self) -> Trips:
        from redis import Redis
        from redis.client import Pipeline

        self._redis_cmd, self._pipe_exec = Redis.execute_command, Pipeline.execute
        trips = self

        def command(conn, *args, **kwargs):
            if not isinstance(conn, Pipeline):
                trips.redis += 1
            return trips._redis_cmd(conn, *args, **kwargs)

        def execute(pipe, *args, **kwargs):
            trips.redis += 1
            return trips._pipe_exec(pipe, *args, **kwargs)

        Redis.execute_command, Pipeline.execute = command, execute
        from app.pipeline import hooks

        self._hooks = getattr(hooks, "processed_batch", None) or hooks.processed
        name = "processed_batch" if hasattr(hooks, "processed_batch") else "processed"

        def told(*args, **kwargs):
            trips._in_listeners = True
            try:
                return trips._hooks(*args, **kwargs)
            finally:
                trips._in_listeners = False

        setattr(hooks, name, told)
        self._hooks_name = name
        event.listen(db.engine, "before_cursor_execute", self._statement)
        event.listen(db.engine, "begin", self._statement)
        event.listen(db.engine, "commit", self._statement)
        event.listen(db.engine, "rollback", self._statement)
        return self

    def _statement(self, *args, **kwargs) -> None:
        self.db += 1
        self.listeners += self._in_listeners

    def __exit__(self, *exc) -> None:
        from redis import Redis
        from redis.client import Pipeline

        Redis.execute_command, Pipeline.execute = self._redis_cmd, self._pipe_exec
        from app.pipeline import hooks

        setattr(hooks, self._hooks_name, self._hooks)
        event.remove(db.engine, "before_cursor_execute", self._statement)
        event.remove(db.engine, "begin", self._statement)
        event.remove(db.engine, "commit", self._statement)
        event.remove(db.engine, "rollback", self._statement)


def round_trips(app, seeder: Seeder, n: int, url: str) -> None:
    """Per submission, in-process: a backlog drained, and live submissions (each ingested
    while a worker waits, and processed before the next arrives)."""
    import threading

    from app import queues
    from app.pipeline import dispatch, tagging
    from app.worker import InProcessWorker
    from sync.ingest import ingest

    tagging.get_classifier()
    seeder.seed(n)
    with Trips() as trips:
        dispatch.sweep()
        InProcessWorker(queues.worker_queues(), connection=queues.connection()).work(
            burst=True)
    assert pending() == 0
    batch = getattr(queues, "batch_size", lambda: 1)()
    print(f"  round trips per submission, a backlog of {n} (batches of {batch}; the sweep and "
          f"the worker's start included): {trips.db / n:.2f} database (of which "
          f"{trips.listeners / n:.2f} by hooks listeners), {trips.redis / n:.2f} Redis")

    live, version = 50, seeder.form.current_version.version
    poll = create_engine(url)  # not counted
    errors: list[BaseException] = []

    def feed() -> None:
        try:
            with app.app_context():
                for i in range(live):
                    ingest(project_id=seeder.form.project_id, channel="api",
                           submitter_id=None, device_id=None, attachments={},
                           xml=water_xml(version, comments=TEXTS[i % len(TEXTS)]))
                    while True:
                        with poll.connect() as conn:
                            if not conn.scalar(text("SELECT count(*) FROM pipeline_outbox "
                                                    "WHERE processed_at IS NULL")):
                                break
                        time.sleep(0.005)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    worker = InProcessWorker(queues.worker_queues(), connection=queues.connection())
    with Trips() as trips:
        thread = threading.Thread(target=feed)
        thread.start()
        worker.work(max_jobs=live)
        thread.join()
    poll.dispose()
    if errors:
        raise errors[0]
    print(f"  round trips per submission, {live} live ones (ingest, enqueue and job; the "
          f"worker's start included): {trips.db / live:.1f} database (of which "
          f"{trips.listeners / live:.1f} by hooks listeners), {trips.redis / live:.1f} Redis")


def main() -> None:
    import logging

    logging.getLogger("rq").setLevel(logging.WARNING)
    logging.getLogger("rq.worker").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000, help="submissions per throughput run")
    parser.add_argument("--backlog", type=int, default=20000, help="backlog size to drain")
    parser.add_argument("--quick", action="store_true", help="small sizes: under a minute")
    parser.add_argument("--batch", type=int, help="PIPELINE_BATCH (default 100)")
    parser.add_argument("--fork", action="store_true", help="fork a work-horse per job")
    parser.add_argument("--trips-only", action="store_true", help="only count round trips")
    opts = parser.parse_args()
    if opts.quick:
        opts.n, opts.backlog = 300, 1000

    url, drop = create_database("bench_pipeline")
    redis_proc, redis_url = start_redis()
    storage = tempfile.mkdtemp(prefix="bench-pipeline-")
    settings = {"QUEUE_PREFIX": "bench", "PIPELINE_SWEEP_SECONDS": "60"}
    if opts.batch:
        settings["PIPELINE_BATCH"] = str(opts.batch)
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": redis_url, "STORAGE_DIR": storage,
           "PYTHONPATH": str(ROOT), "SECRET_KEY": "bench", "PHONE_HASH_KEY": "bench",
           **settings}
    try:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": redis_url,
                          "STORAGE_DIR": storage, "SECRET_KEY": "bench",
                          "PHONE_HASH_KEY": "bench", "ODK_VALIDATE": False, **settings})
        with app.app_context():
            report(app, env, opts, url)
    finally:
        redis_proc.terminate()
        drop()
        shutil.rmtree(storage, ignore_errors=True)


def report(app, env: dict[str, str], opts, url: str) -> None:
    from app.pipeline import dispatch
    from app.services.forms import create_form
    from app.services.projects import create_project
    from forms.xlsform import compile_upload

    path = ROOT / "tests" / "fixtures" / "forms" / "water_point.xlsx"
    compiled = compile_upload(path.read_bytes(), None, path.name, validate=False,
                              ignore_warnings=True)
    form = create_form(create_project("Bench").id, compiled, None, publish=True)
    db.session.commit()
    seeder = Seeder(form)
    seeder.ingest_templates(app)
    if opts.trips_only:
        round_trips(app, seeder, 500, url)
        return
    mode = "Worker, a forked horse per job" if opts.fork else "SimpleWorker, in-process"
    print(f"pipeline bench: PostgreSQL, private Redis, water_point, real classifier, {mode}, "
          f"batch {env.get('PIPELINE_BATCH', 'default')}, {os.cpu_count()} cores; {load()}")
    for workers in (1, 2):
        seeder.seed(opts.n)
        dispatch.sweep()
        wall, startup, rate = run_workers(workers, env, opts.fork)
        print(f"  throughput, {workers} worker(s): {rate:7.1f} submissions/s (after the "
              f"first batch; all {opts.n} done {wall:.1f} s after the workers' start, the "
              f"first rows at {startup:.1f} s); {load()}")

    seeded = seeder.seed(opts.backlog)
    print(f"  backlog: {opts.backlog} submissions stored with no worker up in {seeded:.1f} s; "
          f"{load()}")
    began = time.perf_counter()
    dispatch.sweep()
    enqueue = time.perf_counter() - began
    wall, startup, _ = run_workers(2, env, opts.fork)
    clear = enqueue + wall
    print(f"  backlog of {opts.backlog} queued while workers were down, 2 workers: cleared in "
          f"{clear:.1f} s = {opts.backlog / clear:.1f} submissions/s (sweep {enqueue:.2f} s, "
          f"first rows done at {startup:.1f} s); {load()}")
    round_trips(app, seeder, min(opts.n, 500), url)
    print(f"  {load()} at the end (other work on the machine slows every figure)")


if __name__ == "__main__":
    main()

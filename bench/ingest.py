"""Ingest rate of OpenRosa POST /submission under gunicorn on PostgreSQL, beside PostgreSQL's own
single-row commit rate. One command, prints its figures:

    TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \
    REDIS_URL=redis://127.0.0.1:6379/14 .venv/bin/python bench/ingest.py [--n1 300 --n8 2000]
    .venv/bin/python bench/ingest.py --quick        # small sizes, under a minute

A fresh database is created and dropped; the form has 10 fields and one image; each POST carries
the XML and one ~2 KB JPEG, as ODK Collect sends it. Clients use keep-alive connections.
With REDIS_URL set, each run queues its pipeline work under its own QUEUE_PREFIX (so no
earlier run's keys stand in for this run's) and deletes those keys afterwards.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import runpy
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from http.client import HTTPConnection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FIELDS = ["site", "county", "ward", "households", "depth", "functional", "source", "notes",
          "visited", "photo"]
XFORM = """<?xml version="1.0"?>
<h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml"
        xmlns:jr="http://openrosa.org/javarosa" xmlns:orx="http://openrosa.org/xforms">
  <h:head><h:title>Bench</h:title><model>
    <instance><data id="bench" version="1">{nodes}<meta><instanceID/></meta></data></instance>
    {binds}
    <bind nodeset="/data/meta/instanceID" type="string" readonly="true()" jr:preload="uid"/>
  </model></h:head>
  <h:body>{controls}</h:body>
</h:html>"""


def _xform() -> str:
    types = {"households": "int", "depth": "decimal", "visited": "date", "photo": "binary"}
    nodes = "".join(f"<{f}/>" for f in FIELDS)
    binds = "".join(f'<bind nodeset="/data/{f}" type="{types.get(f, "string")}"/>'
                    for f in FIELDS)
    controls = "".join(
        f'<upload ref="/data/{f}" mediatype="image/*"><label>{f}</label></upload>'
        if f == "photo" else f'<input ref="/data/{f}"><label>{f}</label></input>'
        for f in FIELDS)
    return XFORM.format(nodes=nodes, binds=binds, controls=controls)


def _body(boundary: str, photo: bytes) -> bytes:
    iid = f"uuid:{uuid.uuid4()}"
    values = {"site": "Kibera 4", "county": "nairobi", "ward": "kibera", "households": "42",
              "depth": "12.5", "functional": "yes", "source": "borehole",
              "notes": "pump handle loose", "visited": "2026-11-20", "photo": "p.jpg"}
    xml = ('<?xml version="1.0"?><data xmlns:orx="http://openrosa.org/xforms" id="bench" '
           'version="1">' + "".join(f"<{k}>{v}</{k}>" for k, v in values.items())
           + f"<meta><instanceID>{iid}</instanceID></meta></data>").encode()
    return (f"--{boundary}\r\nContent-Disposition: form-data; name=\"xml_submission_file\"; "
            f"filename=\"submission.xml\"\r\nContent-Type: text/xml\r\n\r\n").encode() + xml + (
        f"\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"p.jpg\"; "
        f"filename=\"p.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n").encode() + photo + (
        f"\r\n--{boundary}--\r\n").encode()


def _setup(url: str, storage: str) -> tuple[int, str]:
    from app import create_app
    from app.extensions import db
    from app.models import Actor, AppUser, FormAssignment
    from app.services.accounts import hash_token
    from app.services.forms import create_form
    from app.services.projects import create_project
    from forms.xlsform import compile_upload

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "STORAGE_DIR": storage,
                      "ODK_VALIDATE": False})
    with app.app_context():
        project = create_project("Bench")
        form = create_form(project.id, compile_upload(_xform().encode(), "application/xml",
                                                      "bench.xml", validate=False),
                           None, publish=True)
        actor = Actor(type="field_key", display_name="bench phone")
        db.session.add(actor)
        db.session.flush()
        token = secrets.token_urlsafe(32)
        db.session.add(AppUser(actor_id=actor.id, project_id=project.id,
                               token_hash=hash_token(token)))
        db.session.add(FormAssignment(actor_id=actor.id, form_id=form.id, role="app-user"))
        db.session.commit()
        pid = project.id
        db.engine.dispose()
    return pid, token


def _run(port: int, path: str, n: int, concurrency: int, photo: bytes) -> tuple[float, list]:
    boundary = "benchboundary7d1f"
    # Every photo differs (as real ones do): identical bytes would share one blob row.
    bodies = [_body(boundary, photo + os.urandom(16)) for _ in range(n)]
    latencies: list[float] = []
    errors: list[int] = []
    lock = threading.Lock()
    cursor = iter(range(n))

    def worker():
        conn = HTTPConnection("127.0.0.1", port, timeout=60)
        mine = []
        while True:
            with lock:
                i = next(cursor, None)
            if i is None:
                break
            start = time.perf_counter()
            conn.request("POST", path, body=bodies[i], headers={
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "X-OpenRosa-Version": "1.0"})
            response = conn.getresponse()
            response.read()
            mine.append(time.perf_counter() - start)
            if response.status != 201:
                errors.append(response.status)
        conn.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    if errors:
        raise SystemExit(f"{len(errors)} non-201 responses, e.g. {errors[:5]}")
    return n / elapsed, sorted(latencies)


def _pg_commits(url: str, n: int) -> float:
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        conn.execute("CREATE TABLE bench_scratch (id serial primary key, body text)")
        conn.commit()
        began = time.perf_counter()
        for i in range(n):
            conn.execute("INSERT INTO bench_scratch (body) VALUES (%s)", (f"row {i}",))
            conn.commit()
        return n / (time.perf_counter() - began)


@contextlib.contextmanager
def temp_database():
    """A fresh, migrated PostgreSQL database (dropped afterwards) and a storage dir."""
    from sqlalchemy import create_engine, text

    from app import migrate
    from app.config import sqlalchemy_url

    server = sqlalchemy_url(os.environ.get("TEST_DATABASE_URL",
                                           "postgresql://postgres@127.0.0.1:5432/postgres"))
    name = f"dsc_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = f"{server.rpartition('/')[0]}/{name}"
    storage = tempfile.mkdtemp(prefix="dsc-bench-")
    try:
        migrate.upgrade(url)
        yield url, storage
    finally:
        shutil.rmtree(storage, ignore_errors=True)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextlib.contextmanager
def gunicorn(url: str, storage: str, ready_path: str, workers: int | None = None,
             on_start=None):
    """gunicorn with the project's gunicorn.conf.py on this database; yields the port.
    `on_start(pid)` is given the master's pid."""
    port = 18000 + os.getpid() % 1000
    env = {**os.environ, "DATABASE_URL": url, "STORAGE_DIR": storage, "SECRET_KEY": "bench",
           "BIND": f"127.0.0.1:{port}", "PUBLIC_URL": f"http://127.0.0.1:{port}"}
    if workers:
        env["WEB_CONCURRENCY"] = str(workers)
    process = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "-c", "gunicorn.conf.py", "--access-logfile",
         "/dev/null", "--error-logfile", "-", "--log-level", "warning", "wsgi:app"],
        cwd=ROOT, env=env)
    if on_start is not None:
        on_start(process.pid)
    try:
        for _ in range(300):
            try:
                probe = HTTPConnection("127.0.0.1", port, timeout=2)
                probe.request("GET", ready_path)
                if probe.getresponse().status < 500:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


def gunicorn_label(workers: int | None = None) -> str:
    """Worker class, workers and threads as gunicorn.conf.py sets them for this run."""
    saved = os.environ.get("WEB_CONCURRENCY")
    if workers:
        os.environ["WEB_CONCURRENCY"] = str(workers)
    try:
        conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    finally:
        if saved is None:
            os.environ.pop("WEB_CONCURRENCY", None)
        else:
            os.environ["WEB_CONCURRENCY"] = saved
    label = f"{conf.get('worker_class', 'sync')} x{conf.get('workers', 1)}"
    if conf.get("worker_class") in ("gthread", "app.serving.worker.BufferingWorker"):
        label += f" ({conf.get('threads', 1)} threads each)"
    return label


def _drop_redis_keys(prefix: str) -> None:
    """Delete this run's pipeline keys (queues, jobs, flags) from REDIS_URL."""
    url = os.environ.get("REDIS_URL")
    if not url:
        return
    from redis import Redis

    conn = Redis.from_url(url)
    keys = list(conn.scan_iter(match=f"*{prefix}*", count=1000))
    for start in range(0, len(keys), 500):
        conn.delete(*keys[start:start + 500])


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds these processes have used (Linux /proc; 0 elsewhere)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _backends(url: str) -> list[int]:
    """PostgreSQL backend pids connected to the bench database (PG on this machine)."""
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        return [r[0] for r in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()")]


def _pct(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n1", type=int, default=300)
    parser.add_argument("--n8", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--quick", action="store_true", help="small sizes (n1=100, n8=400)")
    args = parser.parse_args()
    if args.quick:
        args.n1, args.n8 = min(args.n1, 100), min(args.n8, 400)
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    os.environ["QUEUE_PREFIX"] = prefix

    from tests.openrosa.fixtures import jpeg

    with temp_database() as (url, storage):
        pid, token = _setup(url, storage)
        base = f"/v1/key/{token}/projects/{pid}"
        master: list[int] = []
        with gunicorn(url, storage, f"{base}/formList", args.workers, master.append) as port:
            path = f"{base}/submission?deviceID=bench"
            photo = jpeg(2048)
            _run(port, path, 80, 8, photo)  # warm every worker (imports, parsed-form cache)
            load = " ".join(f"{x:.2f}" for x in os.getloadavg())
            rows = []
            for concurrency, n in ((1, args.n1), (8, args.n8)):
                # CPU used by gunicorn's workers and the database's backends, per submission:
                # a figure a busy machine distorts less than the rates.
                pids = _children(master[0]) + _backends(url)
                cpu = _cpu_seconds(pids)
                rate, lat = _run(port, path, n, concurrency, photo)
                cpu = (_cpu_seconds(pids) - cpu) / n * 1000
                rows.append((concurrency, n, rate, _pct(lat, 0.5), _pct(lat, 0.99), cpu))
            load_after = " ".join(f"{x:.2f}" for x in os.getloadavg())
        pg_rate = _pg_commits(url, args.n8)
    _drop_redis_keys(prefix)
    redis = "set" if os.environ.get("REDIS_URL") else "unset (inline pipeline)"
    print(f"ingest: OpenRosa POST /submission, 10-field form + 2 KB JPEG, gunicorn "
          f"{gunicorn_label(args.workers)}, PostgreSQL, {os.cpu_count()} cores, "
          f"REDIS_URL={redis}; load average before the run: {load}, after: {load_after}")
    print(f"{'clients':>8} {'n':>6} {'subs/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
          f"{'server+PG CPU ms/sub':>21}")
    for concurrency, n, rate, p50, p99, cpu in rows:
        print(f"{concurrency:>8} {n:>6} {rate:>8.1f} {p50:>8.1f} {p99:>8.1f} {cpu:>21.2f}")
    print(f"PostgreSQL single-row INSERT+COMMIT loop, {args.n8} commits: {pg_rate:.1f}/s; "
          f"ingest at 8 clients is {rows[1][2] / pg_rate:.2f}x that rate")
    print("ODK Central (same class of machine): 84/s at 1 client (p99 32 ms), "
          "143-182/s at 8 (p99 88-105 ms)")


if __name__ == "__main__":
    main()

"""Ingest of OpenRosa POST /submission under gunicorn on PostgreSQL with the pipeline's
worker running: rate, latency, CPU per submission of the web workers and of the pipeline, and
the production set's resident memory. One command, prints its figures:

    TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \
    REDIS_URL=redis://127.0.0.1:6379/14 .venv/bin/python bench/ingest.py [--n1 300 --n8 2000]
    .venv/bin/python bench/ingest.py --quick        # small sizes, under a minute

A fresh database is created and dropped; the form has 10 fields and one image; each POST carries
the XML and one ~2 KB JPEG, as ODK Collect sends it. Clients use keep-alive connections.
The production set runs: gunicorn (gunicorn.conf.py, 2 workers on 2 cores) and one
`flask worker` (REDIS_URL required). Each run queues its pipeline work under its own
QUEUE_PREFIX (so no earlier run's keys stand in for this run's) and deletes those keys
afterwards. A measured run ends when the pipeline has processed every submission it sent
("end to end" is that rate). After the runs, the total is topped up to --total submissions
(10,000), VACUUM ANALYZE runs as autovacuum would, and once idle the resident memory of the
2 web workers, the master and the worker is printed (RSS, and PSS, which counts pages a fork
shares once).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import uuid
from http.client import HTTPConnection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import _common as common  # noqa: E402

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
    from app.extensions import db
    from app.services.forms import create_form
    from app.services.projects import create_project
    from forms.xlsform import compile_upload

    app = common.bench_app(url, storage)
    with app.app_context():
        project = create_project("Bench")
        form = create_form(project.id, compile_upload(_xform().encode(), "application/xml",
                                                      "bench.xml", validate=False),
                           None, publish=True)
        token = common.app_user(project.id, [form.id])
        db.session.commit()
        pid = project.id
        db.engine.dispose()
    return pid, token


def _run(port: int, path: str, n: int, concurrency: int, photo: bytes) -> tuple[float, list]:
    boundary = "benchboundary7d1f"
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}",
               "X-OpenRosa-Version": "1.0"}

    def send(conn: HTTPConnection, body: object) -> str | None:
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        return None if response.status == 201 else str(response.status)

    # Every photo differs (as real ones do): identical bytes would share one blob row.
    rate, latencies, errors = common.closed_loop(
        port, [[_body(boundary, photo + os.urandom(16))] for _ in range(n)], concurrency, send)
    if errors:
        raise SystemExit(f"{len(errors)} non-201 responses, e.g. {errors[:5]}")
    return rate, latencies


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


def _pending(url: str) -> int:
    """Outbox rows the pipeline has not processed yet."""
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        return conn.execute("SELECT count(*) FROM pipeline_outbox "
                            "WHERE processed_at IS NULL").fetchone()[0]


def _drained(url: str, timeout: float = 600) -> float:
    """Wait until the pipeline has processed every row; -> when (perf_counter)."""
    deadline = time.perf_counter() + timeout
    while _pending(url):
        if time.perf_counter() > deadline:
            raise SystemExit(f"the pipeline left {_pending(url)} rows after {timeout:.0f} s")
        time.sleep(0.05)
    return time.perf_counter()


class _Worker:
    """`flask worker` (the production pipeline worker) on this database and Redis."""

    def __init__(self, url: str, storage: str) -> None:
        env = {**os.environ, "DATABASE_URL": url, "STORAGE_DIR": storage,
               "SECRET_KEY": "bench"}
        self.process = subprocess.Popen(
            [str(ROOT / ".venv/bin/flask"), "--app", "wsgi", "worker"], cwd=ROOT, env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def pids(self) -> list[int]:
        return [self.process.pid, *common.children(self.process.pid)]

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def _measured(port: int, path: str, n: int, clients: int, photo: bytes, url: str,
              web: list[int], worker: _Worker) -> dict:
    """One run: POST n submissions from `clients` connections, then wait for the pipeline."""
    pg = common.backends(url)
    before = {"web": common.cpu_seconds(web), "pipeline": common.cpu_seconds(worker.pids()),
              "pg": common.cpu_seconds(pg)}
    began = time.perf_counter()
    rate, latencies = _run(port, path, n, clients, photo)
    web_cpu = common.cpu_seconds(web)
    done = _drained(url)
    pg = sorted(set(pg) | set(common.backends(url)))
    return {"clients": clients, "n": n, "rate": rate, "end_to_end": n / (done - began),
            "p50": common.percentile(latencies, 0.5, 1000),
            "p99": common.percentile(latencies, 0.99, 1000),
            "web": (web_cpu - before["web"]) / n * 1000,
            "pipeline": (common.cpu_seconds(worker.pids()) - before["pipeline"]) / n * 1000,
            "pg": (common.cpu_seconds(pg) - before["pg"]) / n * 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n1", type=int, default=300)
    parser.add_argument("--n8", type=int, default=2000)
    parser.add_argument("--total", type=int, default=10_000,
                        help="submissions stored before memory is read (topped up at 8 clients)")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--quick", action="store_true",
                        help="small sizes (n1=100, n8=400, total=1000)")
    args = parser.parse_args()
    if args.quick:
        args.n1, args.n8, args.total = min(args.n1, 100), min(args.n8, 400), \
            min(args.total, 1000)
    if not os.environ.get("REDIS_URL"):
        raise SystemExit("REDIS_URL is required: the production set runs `flask worker`")
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    os.environ["QUEUE_PREFIX"] = prefix

    from tests.openrosa.fixtures import jpeg

    with common.temp_database() as (url, storage):
        pid, token = _setup(url, storage)
        base = f"/v1/key/{token}/projects/{pid}"
        master: list[int] = []
        worker = _Worker(url, storage)
        try:
            with common.gunicorn(url, storage, f"{base}/formList", args.workers,
                          master.append) as port:
                path = f"{base}/submission?deviceID=bench"
                photo = jpeg(2048)
                _run(port, path, 80, 8, photo)  # warm every worker (imports, form cache)
                sent = 80
                _drained(url)
                common.vacuum_analyze(url)
                load = " ".join(f"{x:.2f}" for x in os.getloadavg())
                web = [master[0], *common.children(master[0])]
                rows = []
                for clients, n in ((1, args.n1), (8, args.n8)):
                    rows.append(_measured(port, path, n, clients, photo, url, web, worker))
                    sent += n
                load_after = " ".join(f"{x:.2f}" for x in os.getloadavg())
                while sent < args.total:  # top up, in steps (gunicorn may recycle a worker)
                    step = min(2000, args.total - sent)
                    _run(port, path, step, 8, photo)
                    sent += step
                _drained(url)
                common.vacuum_analyze(url)
                time.sleep(5)  # idle
                web = [master[0], *common.children(master[0])]
                memory = {"web workers": [common.memory_mb(p) for p in web[1:]],
                          "gunicorn master": [common.memory_mb(master[0])],
                          "flask worker": [common.memory_mb(p) for p in worker.pids()]}
        finally:
            worker.stop()
        pg_rate = _pg_commits(url, args.n8)
    common.drop_redis_keys(prefix)
    print(f"ingest: OpenRosa POST /submission, 10-field form + 2 KB JPEG, gunicorn "
          f"{common.gunicorn_label(args.workers)} + 1 flask worker (RQ, Redis), PostgreSQL, "
          f"{os.cpu_count()} cores (shared machine); load average before the runs: {load}, "
          f"after: {load_after}")
    print(f"{'clients':>7} {'n':>6} {'subs/s':>7} {'e2e/s':>6} {'p50 ms':>7} {'p99 ms':>7} "
          f"{'web CPU ms/sub':>15} {'pipeline CPU ms/sub':>20} {'PG CPU ms/sub':>14}")
    for r in rows:
        print(f"{r['clients']:>7} {r['n']:>6} {r['rate']:>7.1f} {r['end_to_end']:>6.1f} "
              f"{r['p50']:>7.1f} {r['p99']:>7.1f} {r['web']:>15.2f} {r['pipeline']:>20.2f} "
              f"{r['pg']:>14.2f}")
    print("(subs/s: POSTs answered 201; e2e/s: until the pipeline had cleaned and tagged them "
          "all; CPU: user+system of gunicorn's master and workers, of the flask worker and "
          "its work-horses, of this database's PostgreSQL backends)")
    rss = sum(m[0] for ms in memory.values() for m in ms)
    pss = sum(m[1] for ms in memory.values() for m in ms)
    parts = ", ".join(f"{name} " + "+".join(f"{m[0]:.0f}" for m in ms)
                      for name, ms in memory.items())
    pss_parts = ", ".join(f"{name} " + "+".join(f"{m[1]:.0f}" for m in ms)
                          for name, ms in memory.items())
    print(f"resident memory, idle after {sent} submissions: RSS {rss:.0f} MiB ({parts}); "
          f"PSS {pss:.0f} MiB ({pss_parts})")
    print(f"PostgreSQL single-row INSERT+COMMIT loop, {args.n8} commits: {pg_rate:.1f}/s; "
          f"ingest at 8 clients is {rows[1]['rate'] / pg_rate:.2f}x that rate")
    print("ODK Central (same class of machine): 84/s at 1 client (p99 32 ms), "
          "143-182/s at 8 (p99 88-105 ms)")


if __name__ == "__main__":
    main()

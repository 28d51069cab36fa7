"""`GET /v1/projects/{pid}/forms` for a project with 200 forms under gunicorn: requests/s.

    TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \
    .venv/bin/python bench/forms_list.py [--forms 200 -n 200 --workers 2]

Creates a temporary PostgreSQL database (SQLite when no PostgreSQL answers), fills it, starts
gunicorn with gunicorn.conf.py and W workers, and sends a bounded number of requests from a
thread pool to 127.0.0.1 only: plain and with X-Extended-Metadata, 1 and 8 clients.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from http.client import HTTPConnection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import _common as common  # noqa: E402

XFORM = ('<?xml version="1.0"?><h:html xmlns="http://www.w3.org/2002/xforms" '
         'xmlns:h="http://www.w3.org/1999/xhtml"><h:head><h:title>Form {n}</h:title><model>'
         '<instance><data id="form_{n:03d}" version="1"><a/><b/></data></instance>'
         '<bind nodeset="/data/a" type="string"/><bind nodeset="/data/b" type="int"/>'
         '</model></h:head><h:body><input ref="/data/a"><label>A</label></input>'
         '<input ref="/data/b"><label>B</label></input></h:body></h:html>')
PASSWORD = "bench password 1234"


def fill(url: str, storage: str, forms: int) -> int:
    """An admin and a project with `forms` published forms; returns the project id."""
    from app import create_app
    from app.extensions import db
    from app.services.accounts import create_user
    from app.services.forms import create_form
    from app.services.projects import create_project
    from forms.xlsform import compile_upload

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "STORAGE_DIR": storage,
                      "SECRET_KEY": "bench", "ODK_VALIDATE": False})
    with app.app_context():
        create_user("bench@example.org", PASSWORD, admin=True)
        project = create_project("Two hundred forms")
        for n in range(forms):
            compiled = compile_upload(XFORM.format(n=n).encode(), "application/xml", "f.xml",
                                      validate=False)
            create_form(project.id, compiled, None, publish=True)
        db.session.commit()
        pid = project.id
        db.engine.dispose()
    return pid


def token(port: int) -> str:
    conn = HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("POST", "/v1/sessions", json.dumps(
        {"email": "bench@example.org", "password": PASSWORD}),
        {"Content-Type": "application/json"})
    response = conn.getresponse()
    return json.loads(response.read())["token"]


def run(port: int, path: str, headers: dict, n: int, clients: int) -> tuple[float, list, int]:
    """`n` GETs spread over `clients` keep-alive connections; (req/s, latencies, body bytes)."""
    per_client = [n // clients + (1 if i < n % clients else 0) for i in range(clients)]

    def client(count: int) -> tuple[list[float], int]:
        conn = HTTPConnection("127.0.0.1", port, timeout=60)
        times, size = [], 0
        for _ in range(count):
            began = time.perf_counter()
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            size = len(response.read())
            times.append(time.perf_counter() - began)
            if response.status != 200:
                raise SystemExit(f"GET {path} answered {response.status}")
        conn.close()
        return times, size

    began = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(client, per_client))
    elapsed = time.perf_counter() - began
    latencies = sorted(t for times, _ in results for t in times)
    return n / elapsed, latencies, results[0][1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--forms", type=int, default=200)
    parser.add_argument("-n", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with common.temp_database("dsc_bench_forms", sqlite_fallback=True) as (url, storage):
        kind = "PostgreSQL" if common.is_postgresql(url) else "SQLite"
        pid = fill(url, storage, args.forms)
        path = f"/v1/projects/{pid}/forms"
        with common.gunicorn(url, storage, workers=args.workers) as port:
            auth = {"Authorization": f"Bearer {token(port)}"}
            run(port, path, auth, 20, 2)  # warm up both workers
            rows = []
            for label, extra in (("plain", {}), ("extended", {"X-Extended-Metadata": "true"})):
                for clients in (1, 8):
                    rows.append((label, clients, *run(port, path, {**auth, **extra},
                                                      args.n, clients)))
    print(f"GET {path}: {args.forms} forms, gunicorn {common.gunicorn_label(args.workers)}, "
          f"{kind}, {os.cpu_count()} cores, {common.load()}")
    print(f"{'metadata':>9} {'clients':>8} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
          f"{'bytes':>8}")
    for label, clients, rate, latencies, size in rows:
        p50, p99 = (common.percentile(latencies, q, 1000) for q in (0.5, 0.99))
        print(f"{label:>9} {clients:>8} {rate:>8.1f} {p50:>8.1f} {p99:>8.1f} {size:>8}")


if __name__ == "__main__":
    main()

"""OpenRosa formList for a project with 200 published forms (some with media): requests/s.

    TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \
    .venv/bin/python bench/formlist.py

An app user assigned to every form asks, as ODK Collect does on "Get blank form".
"""
from __future__ import annotations

import argparse
import os
import secrets
import sys
import threading
import time
from http.client import HTTPConnection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ingest import _pct, _xform, gunicorn, gunicorn_label, temp_database  # noqa: E402


def _setup(url: str, storage: str, forms: int) -> str:
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
        project = create_project("Two hundred forms")
        actor = Actor(type="field_key", display_name="bench phone")
        db.session.add(actor)
        db.session.flush()
        token = secrets.token_urlsafe(32)
        db.session.add(AppUser(actor_id=actor.id, project_id=project.id,
                               token_hash=hash_token(token)))
        for n in range(forms):
            xml = _xform().replace('id="bench"', f'id="form_{n:03d}"')
            if n % 4 == 0:  # a quarter of the forms carry a media file, so a manifestUrl
                xml = xml.replace("<label>site</label>",
                                  "<label>site</label><hint>jr://images/logo.png</hint>")
            form = create_form(project.id, compile_upload(
                xml.encode(), "application/xml", "f.xml", validate=False), None, publish=True)
            db.session.add(FormAssignment(actor_id=actor.id, form_id=form.id, role="app-user"))
        db.session.commit()
        path = f"/v1/key/{token}/projects/{project.id}/formList"
        db.engine.dispose()
    return path


def _run(port: int, path: str, n: int, concurrency: int) -> tuple[float, list[float], int]:
    latencies: list[float] = []
    lock = threading.Lock()
    remaining = [n]
    size = [0]

    def worker():
        conn = HTTPConnection("127.0.0.1", port, timeout=60)
        mine = []
        while True:
            with lock:
                if remaining[0] == 0:
                    break
                remaining[0] -= 1
            start = time.perf_counter()
            conn.request("GET", path, headers={"X-OpenRosa-Version": "1.0"})
            response = conn.getresponse()
            body = response.read()
            mine.append(time.perf_counter() - start)
            if response.status != 200:
                raise SystemExit(f"formList answered {response.status}")
            size[0] = len(body)
        conn.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return n / (time.perf_counter() - began), sorted(latencies), size[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--forms", type=int, default=200)
    parser.add_argument("-n", type=int, default=500)
    args = parser.parse_args()
    with temp_database() as (url, storage):
        path = _setup(url, storage, args.forms)
        with gunicorn(url, storage, path) as port:
            _run(port, path, 20, 4)
            load = " ".join(f"{x:.2f}" for x in os.getloadavg())
            rows = [(c, *_run(port, path, args.n, c)) for c in (1, 8)]
    print(f"formList: {args.forms} forms, app user assigned to all, gunicorn "
          f"{gunicorn_label()}, PostgreSQL, {os.cpu_count()} cores; load average: {load}")
    print(f"{'clients':>8} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'bytes':>8}")
    for concurrency, rate, lat, size in rows:
        print(f"{concurrency:>8} {rate:>8.1f} {_pct(lat, 0.5):>8.1f} {_pct(lat, 0.99):>8.1f} "
              f"{size:>8}")


if __name__ == "__main__":
    main()

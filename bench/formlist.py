"""OpenRosa formList for a project with 200 published forms (some with media): requests/s.

    TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \
    .venv/bin/python bench/formlist.py

An app user assigned to every form asks, as ODK Collect does on "Get blank form".
"""
from __future__ import annotations

import argparse
import os
import sys
from http.client import HTTPConnection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import _common as common  # noqa: E402
from bench.ingest import _xform  # noqa: E402


def _setup(url: str, storage: str, forms: int) -> str:
    from app.extensions import db
    from app.services.forms import create_form
    from app.services.projects import create_project
    from forms.xlsform import compile_upload

    app = common.bench_app(url, storage)
    with app.app_context():
        project = create_project("Two hundred forms")
        ids = []
        for n in range(forms):
            xml = _xform().replace('id="bench"', f'id="form_{n:03d}"')
            if n % 4 == 0:  # a quarter of the forms carry a media file, so a manifestUrl
                xml = xml.replace("<label>site</label>",
                                  "<label>site</label><hint>jr://images/logo.png</hint>")
            ids.append(create_form(project.id, compile_upload(
                xml.encode(), "application/xml", "f.xml", validate=False), None,
                publish=True).id)
        token = common.app_user(project.id, ids)
        db.session.commit()
        path = f"/v1/key/{token}/projects/{project.id}/formList"
        db.engine.dispose()
    return path


def _run(port: int, path: str, n: int, concurrency: int) -> tuple[float, list[float], int]:
    size = [0]

    def send(conn: HTTPConnection, _request: object) -> str | None:
        conn.request("GET", path, headers={"X-OpenRosa-Version": "1.0"})
        response = conn.getresponse()
        size[0] = len(response.read())
        return None if response.status == 200 else f"formList answered {response.status}"

    rate, latencies, errors = common.closed_loop(port, [[None]] * n, concurrency, send)
    if errors:
        raise SystemExit(errors[0])
    return rate, latencies, size[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--forms", type=int, default=200)
    parser.add_argument("-n", type=int, default=500)
    args = parser.parse_args()
    with common.temp_database() as (url, storage):
        path = _setup(url, storage, args.forms)
        with common.gunicorn(url, storage, path) as port:
            _run(port, path, 20, 4)
            before = common.load()
            rows = [(c, *_run(port, path, args.n, c)) for c in (1, 8)]
    print(f"formList: {args.forms} forms, app user assigned to all, gunicorn "
          f"{common.gunicorn_label()}, PostgreSQL, {os.cpu_count()} cores; {before}")
    print(f"{'clients':>8} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'bytes':>8}")
    for concurrency, rate, lat, size in rows:
        print(f"{concurrency:>8} {rate:>8.1f} {common.percentile(lat, 0.5, 1000):>8.1f} "
              f"{common.percentile(lat, 0.99, 1000):>8.1f} {size:>8}")


if __name__ == "__main__":
    main()

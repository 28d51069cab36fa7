"""The web app's figures: page weight (compressed bytes and requests) of the main pages, and
server time p50/p99 of the submissions table (first page and page 500) and of a submission's
page with 100,000 submissions on PostgreSQL.

    TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \
    .venv/bin/python bench/webapp.py [--submissions 100000] [--samples 200]

Creates a temporary PostgreSQL database, publishes the water-point form, bulk-inserts
submissions (INSERT ... SELECT generate_series, each with the cleaned answers and an SDG tag),
runs VACUUM ANALYZE, then times requests through the app in this process (server time: the
view, its queries and the template, no network). Page weight: each page's HTML and the assets
it loads, as a browser on a first visit fetches them (gzip). The load average is printed with
the figures; the database is dropped at the end.
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._common import create_database, load  # noqa: E402

PASSWORD = "bench password 1234"
ASSET = re.compile(r'(?:src|href)="(/assets/[^"]+)"')
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def seed(app, count: int) -> dict:
    """A coordinator, the water-point form published, `count` submissions with tags."""
    from sqlalchemy import text

    from app.extensions import db
    from app.services import accounts, projects
    from app.services import forms as form_service
    from forms.xlsform import compile_upload
    from sync.ingest import ingest
    from tests.app.exports.samples import wp_xml

    with app.app_context():
        user = accounts.create_user("bench@example.org", PASSWORD, admin=True)
        project = projects.create_project("Bench CSO")
        path = ROOT / "tests" / "fixtures" / "forms" / "water_point.xlsx"
        compiled = compile_upload(path.read_bytes(), None, path.name, validate=False,
                                  ignore_warnings=True)
        form = form_service.create_form(project.id, compiled, user.actor_id, publish=True)
        db.session.commit()
        project_id = project.id
        # One real submission through the door, whose flattened data every row copies.
        ingest(project_id=project_id, xml=wp_xml().encode(), attachments={}, channel="api",
               submitter_id=user.actor_id, device_id=None, user_agent="bench",
               form_id="water_point")
        db.session.commit()
        row = db.session.execute(text(
            "SELECT form_version_id, xml, data FROM submission_defs LIMIT 1")).one()
        began = time.perf_counter()
        db.session.execute(text(
            "INSERT INTO submissions (form_id, instance_id, submitter_id, channel, created_at) "
            "SELECT :form, 'uuid:bench-' || g, :actor, "
            "(ARRAY['collect','sms','ussd','api'])[1 + g % 4], "
            "now() - make_interval(secs => g * 7) FROM generate_series(1, :n) g"),
            {"form": form.id, "actor": user.actor_id, "n": count - 1})
        db.session.execute(text(
            "INSERT INTO submission_defs (submission_id, form_id, form_version_id, instance_id, "
            "xml, xml_sha256, data, current, created_at) SELECT s.id, s.form_id, :version, "
            "s.instance_id, :xml, 'bench', CAST(:data AS jsonb), true, s.created_at "
            "FROM submissions s WHERE s.form_id = :form AND s.instance_id LIKE 'uuid:bench-%'"),
            {"form": form.id, "version": row.form_version_id, "xml": row.xml,
             "data": json.dumps(row.data)})
        db.session.execute(text(
            "INSERT INTO sdg_tags (submission_def_id, goal, target, indicator, source, score, "
            "field, version) SELECT d.id, 6, '6.1', '6.1.1', 'form', 1, '/data/wp/functional', "
            "'bench' FROM submission_defs d WHERE d.form_id = :form AND d.xml_sha256 = 'bench'"),
            {"form": form.id})
        db.session.commit()
        seeded = time.perf_counter() - began
    with app.app_context():
        connection = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        connection.execute(text("VACUUM ANALYZE"))
        connection.close()
        return {"project": project_id, "form": "water_point", "seconds": seeded}


def signed_in(app):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    client.post("/login", data={"email": "bench@example.org", "password": PASSWORD,
                                "csrf_token": TOKEN.search(page).group(1)})
    return client


def weight(client, path: str) -> tuple[int, int, int]:
    """(compressed bytes, requests, HTML bytes compressed) of a first visit to `path`."""
    headers = {"Accept-Encoding": "gzip"}
    response = client.get(path, headers=headers)
    assert response.status_code == 200, (path, response.status_code)
    body = response.get_data()
    html = gzip.decompress(body) if response.headers.get("Content-Encoding") == "gzip" else body
    total, requests = len(body), 1
    for asset in dict.fromkeys(ASSET.findall(html.decode())):
        got = client.get(asset.replace("&amp;", "&"), headers=headers)
        total += len(got.get_data())
        requests += 1
    return total, requests, len(body)


def timings(client, path: str, samples: int) -> tuple[float, float]:
    for _ in range(5):
        assert client.get(path).status_code == 200, path
    seconds = []
    for _ in range(samples):
        began = time.perf_counter()
        response = client.get(path)
        seconds.append(time.perf_counter() - began)
        assert response.status_code == 200
    seconds.sort()
    return statistics.median(seconds) * 1000, seconds[int(len(seconds) * 0.99) - 1] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=200)
    args = parser.parse_args()
    server = os.environ.get("TEST_DATABASE_URL")
    if not server:
        sys.exit("set TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres")
    from app import create_app
    from app.queries.submissions import Cursor

    url, drop = create_database("bench_webapp", server)
    try:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                          "STORAGE_DIR": tempfile.mkdtemp(), "REDIS_URL": None,
                          "PUBLIC_URL": "http://127.0.0.1:5000", "ODK_VALIDATE": False,
                          "PHONE_HASH_KEY": "bench"})
        info = seed(app, args.submissions)
        print(f"seeded {args.submissions:,} submissions in {info['seconds']:.1f} s; {load()}")
        client = signed_in(app)
        base = f"/projects/{info['project']}/forms/{info['form']}"
        with app.app_context():
            from sqlalchemy import text

            from app.extensions import db

            # Page 500 (50 rows a page) starts after row 24,950 in the table's order (the
            # last page when there are fewer).
            deep = min(24_949, args.submissions - 51)
            row = db.session.execute(text(
                "SELECT created_at, id FROM submissions ORDER BY created_at DESC, id DESC "
                "OFFSET :n LIMIT 1"), {"n": deep}).one()
            detail = db.session.execute(text(
                "SELECT instance_id FROM submissions ORDER BY id DESC LIMIT 1")).scalar()
        page500 = f"{base}/submissions?after={Cursor(row.created_at, row.id).encode()}"
        print("\npage weight (first visit, gzip; budget: sign-in 150 KB, submissions 250 KB)")
        print(f"{'page':<22} {'KB':>7} {'requests':>9} {'HTML KB':>8}")
        anonymous = app.test_client()
        pages = [("sign-in", "/login", anonymous), ("projects", "/", client),
                 ("project (forms)", f"/projects/{info['project']}", client),
                 ("form", base, client), ("submissions", f"{base}/submissions", client),
                 ("submission", f"{base}/submissions/{detail}", client),
                 ("app users", f"/projects/{info['project']}/app-users", client),
                 ("channels", f"/projects/{info['project']}/channels", client),
                 ("downloads", f"/projects/{info['project']}/downloads", client)]
        for name, path, who in pages:
            total, requests, html = weight(who, path)
            print(f"{name:<22} {total / 1024:>7.1f} {requests:>9} {html / 1024:>8.1f}")
        print(f"\nserver time, {args.samples} requests each, {args.submissions:,} submissions "
              f"(PostgreSQL; aim p99 < 150 ms)")
        for name, path in (("submissions, page 1", f"{base}/submissions"),
                           ("submissions, page 500", page500),
                           ("one submission", f"{base}/submissions/{detail}")):
            p50, p99 = timings(client, path, args.samples)
            print(f"{name:<24} p50 {p50:6.1f} ms   p99 {p99:6.1f} ms   {load()}")
    finally:
        drop()


if __name__ == "__main__":
    main()

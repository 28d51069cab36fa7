"""Exports at scale on PostgreSQL: CSV zip rows/s and peak RSS beside PostgreSQL's own COPY,
OData page latency, and the first page of a repeat table.

    TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \
    .venv/bin/python bench/export.py [--quick] [--sizes 100000,500000] [--profile 20000]

`--quick`: 20,000 submissions and fewer OData samples (under a minute). Every figure line
ends with the load average (1/5/15 min): figures taken on a busy machine are not comparable.

Creates a temporary database, publishes a 10-field form with one repeat, bulk-inserts
submissions (INSERT ... SELECT generate_series, two repeat rows each), serves the app from a
werkzeug process (one request at a time, as one gunicorn sync worker would) and reads its
VmHWM from /proc. The database is dropped at the end.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._common import free_port, load, percentile, temp_database  # noqa: E402

FIELDS = [("name", "string", "input"), ("age", "int", "input"), ("price", "decimal", "input"),
          ("county", "string", "select1"), ("uses", "string", "select"),
          ("visited", "date", "input"), ("location", "geopoint", "input"),
          ("note_text", "string", "input"), ("households", "int", "input"),
          ("comment", "string", "input")]
REPEAT = [("member", "string", "input"), ("member_age", "int", "input"),
          ("member_sex", "string", "select1")]
PASSWORD = "bench password 1234"


def xform() -> str:
    def bind(path, t):
        return f'<bind nodeset="{path}" type="{t}"/>'

    def body(path, name, control):
        if control == "input":
            return f'<input ref="{path}"><label>{name}</label></input>'
        tag = "select1" if control == "select1" else "select"
        items = "".join(f"<item><label>{v}</label><value>{v}</value></item>"
                        for v in ("a", "b", "c"))
        return f'<{tag} ref="{path}"><label>{name}</label>{items}</{tag}>'

    inst = "".join(f"<{n}/>" for n, _, _ in FIELDS)
    rep = "".join(f"<{n}/>" for n, _, _ in REPEAT)
    binds = "".join(bind(f"/data/{n}", t) for n, t, _ in FIELDS) + \
        "".join(bind(f"/data/people/{n}", t) for n, t, _ in REPEAT) + \
        '<bind nodeset="/data/meta/instanceID" type="string" readonly="true()" ' \
        'jr:preload="uid"/>'
    ui = "".join(body(f"/data/{n}", n, c) for n, _, c in FIELDS) + \
        '<group ref="/data/people"><label>People</label><repeat nodeset="/data/people">' + \
        "".join(body(f"/data/people/{n}", n, c) for n, _, c in REPEAT) + "</repeat></group>"
    return ('<?xml version="1.0"?><h:html xmlns="http://www.w3.org/2002/xforms" '
            'xmlns:h="http://www.w3.org/1999/xhtml" xmlns:jr="http://openrosa.org/javarosa">'
            '<h:head><h:title>Bench</h:title><model><instance>'
            f'<data id="bench" version="1">{inst}<people jr:template="">{rep}</people>'
            '<meta><instanceID/></meta></data></instance>'
            f'{binds}</model></h:head><h:body>{ui}</h:body></h:html>')


def instance_data(model) -> tuple[str, dict]:
    from defusedxml.ElementTree import fromstring

    from forms.flatten import flatten
    from forms.instance import build_instance

    values = {"/data/name": "Amina Wanjiru", "/data/age": "34", "/data/price": "2.5",
              "/data/county": "a", "/data/uses": "a c", "/data/visited": "2026-11-20",
              "/data/location": "-0.0917 34.768 1131.2 4.5", "/data/note_text": "pump broken",
              "/data/households": "120", "/data/comment": "needs repair, soon",
              "/data/people[1]/member": "Baraka", "/data/people[1]/member_age": "9",
              "/data/people[1]/member_sex": "b", "/data/people[2]/member": "Neema",
              "/data/people[2]/member_age": "7", "/data/people[2]/member_sex": "a"}
    xml = build_instance(model, values, instance_id="uuid:bench", repeats={"/data/people": 2})
    flat = flatten(model, fromstring(xml))
    return xml.decode(), json.loads(json.dumps(flat.__dict__))


def setup(url: str, storage: str):
    """An admin, a project and the published bench form; the Flask app for direct calls."""
    from app import create_app
    from app.extensions import db
    from app.services.accounts import create_user
    from app.services.forms import create_form
    from app.services.projects import create_project
    from forms.model import parse_xform
    from forms.xlsform import compile_upload

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "STORAGE_DIR": storage,
                      "SECRET_KEY": "bench", "ODK_VALIDATE": False})
    with app.app_context():
        create_user("bench@example.org", PASSWORD, admin=True)
        project = create_project("Bench")
        compiled = compile_upload(xform().encode(), "application/xml", "bench.xml",
                                  validate=False)
        form = create_form(project.id, compiled, None, publish=True)
        db.session.commit()
        ids = project.id, form.id, form.current_version_id
        model = parse_xform(compiled.xml)
    return app, ids, model


def fill(app, form_id: int, version_id: int, xml: str, data: dict, upto: int,
         have: int) -> None:
    from sqlalchemy import text

    from app.extensions import db

    with app.app_context():
        db.session.execute(text(
            "INSERT INTO submissions (form_id, instance_id, channel, device_id, created_at) "
            "SELECT :form, 'uuid:bench-' || g, 'collect', 'collect:bench', "
            "now() - make_interval(secs => g) "
            "FROM generate_series(CAST(:a AS integer), CAST(:b AS integer)) g"),
            {"form": form_id, "a": have + 1, "b": upto})
        db.session.execute(text(
            "INSERT INTO submission_defs (submission_id, form_id, form_version_id, "
            "instance_id, xml, xml_sha256, data, current, created_at) SELECT s.id, s.form_id, "
            ":version, s.instance_id, :xml, 'bench', CAST(:data AS jsonb), true, s.created_at "
            "FROM submissions s WHERE s.form_id = :form AND s.id > :a"),
            {"form": form_id, "version": version_id, "xml": xml, "data": json.dumps(data),
             "a": have})
        db.session.commit()
        db.session.execute(text("ANALYZE"))
        db.session.commit()


def copy_seconds(url: str, form_id: int) -> tuple[float, int]:
    """PostgreSQL's own COPY of the same root rows (fields out of the JSON) to CSV."""
    import psycopg

    cols = ", ".join(f"d.data->'root'->>'/data/{n}'" for n, _, _ in FIELDS)
    sql = (f"COPY (SELECT s.created_at, {cols}, s.instance_id, s.submitter_id, s.device_id, "
           "s.review_state, s.channel FROM submissions s JOIN submission_defs d ON "
           f"d.submission_id = s.id AND d.current WHERE s.form_id = {form_id} AND "
           "s.deleted_at IS NULL ORDER BY s.created_at DESC, s.id DESC) TO STDOUT WITH CSV")
    began, size = time.perf_counter(), 0
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as conn:
        with conn.cursor().copy(sql) as copy:
            for chunk in copy:
                size += len(chunk)
    return time.perf_counter() - began, size


@contextlib.contextmanager
def server(url: str, storage: str):
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "STORAGE_DIR": storage, "SECRET_KEY": "bench",
           "REDIS_URL": ""}
    code = ("import logging; logging.getLogger('werkzeug').setLevel(logging.ERROR); "
            "from werkzeug.serving import run_simple; from wsgi import app; "
            f"run_simple('127.0.0.1', {port}, app, threaded=False)")
    process = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env)
    try:
        for _ in range(200):
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            time.sleep(0.1)
        yield process.pid, f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=20)


def vmhwm_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def get(url: str, headers: dict) -> tuple[float, int]:
    began, size = time.perf_counter(), 0
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=600) as r:
        while chunk := r.read(1 << 16):
            size += len(chunk)
    return time.perf_counter() - began, size


def login(base: str) -> dict:
    request = urllib.request.Request(
        f"{base}/v1/sessions", method="POST", headers={"Content-Type": "application/json"},
        data=json.dumps({"email": "bench@example.org", "password": PASSWORD}).encode())
    with urllib.request.urlopen(request) as response:
        return {"Authorization": "Bearer " + json.loads(response.read())["token"]}


def profile(app, project_id: int) -> None:
    """cProfile of the CSV zip generator in-process (for finding hot spots)."""
    import cProfile
    import pstats

    with app.test_request_context("/?async=false"):
        from flask import g

        from app.extensions import db
        from app.models import Actor
        from app.services.permissions import principal_for
        from app.web.api.exports import submissions_csv_zip

        g.principal = principal_for(db.session.get(Actor, 1))
        response = submissions_csv_zip(project_id, "bench")
        with cProfile.Profile() as prof:
            size = sum(len(c) for c in response.response)
        print("profiled bytes", size)
        pstats.Stats(prof).sort_stats("tottime").print_stats(22)


CENTRAL_ROWS_PER_S = 7000  # ODK Central, 10,000 submissions of a 10-field form (issue 6)


def odata(form: str, headers: dict, size: int, samples: int) -> None:
    get(f"{form}.svc/Submissions?$top=1000", headers)  # warm
    times = [get(f"{form}.svc/Submissions?$top=1000", headers)[0] for _ in range(samples)]
    first = [get(f"{form}.svc/Submissions.people?$top=1000", headers)[0]
             for _ in range(max(3, samples // 3))]
    print(f"  OData $top=1000 ({size} submissions): p50 {percentile(times, 0.5, 1000):.0f} ms, "
          f"p99 {percentile(times, 0.99, 1000):.0f} ms (n={len(times)}); repeat table "
          f"Submissions.people first page ({size} parents): p50 "
          f"{percentile(first, 0.5, 1000):.0f} ms, max {max(first) * 1000:.0f} ms; "
          f"{load()}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=None, help="default 100000,500000 (20000 quick)")
    parser.add_argument("--quick", action="store_true", help="small sizes, under a minute")
    parser.add_argument("--samples", type=int, default=None, help="OData requests per figure")
    parser.add_argument("--profile", type=int, default=0)
    args = parser.parse_args()
    sizes = args.sizes or ("20000" if args.quick else "100000,500000")
    samples = args.samples or (10 if args.quick else 40)
    with temp_database("dsc_bench_export") as (url, storage):
        app, (project_id, form_id, version_id), model = setup(url, storage)
        xml, data = instance_data(model)
        if args.profile:
            fill(app, form_id, version_id, xml, data, args.profile, 0)
            profile(app, project_id)
            return
        have = 0
        print(f"CSV zip (submissions.csv.zip?async=false; 10 fields + a repeat of 2 rows each); "
              f"Central ~{CENTRAL_ROWS_PER_S} rows/s; COPY = PostgreSQL's own COPY (SELECT "
              "...) TO STDOUT CSV of the same root rows", flush=True)
        print(f"{'rows':>8} {'zip s':>7} {'rows/s':>8} {'xCentral':>8} {'MB':>6} "
              f"{'peakRSS MB (growth)':>10} {'COPY s':>7} {'COPY/zip':>8}")
        for size in (int(s) for s in sizes.split(",")):
            fill(app, form_id, version_id, xml, data, size, have)
            have = size
            with server(url, storage) as (pid, base):
                headers = login(base)
                form = f"{base}/v1/projects/{project_id}/forms/bench"
                get(f"{form}.svc/Submissions?$top=10", headers)
                warm = vmhwm_mb(pid)
                seconds, nbytes = get(f"{form}/submissions.csv.zip?async=false", headers)
                peak = vmhwm_mb(pid)
                copy_s, _ = copy_seconds(url, form_id)
                print(f"{size:>8} {seconds:>7.2f} {size / seconds:>8.0f} "
                      f"{size / seconds / CENTRAL_ROWS_PER_S:>8.1f} {nbytes / 1e6:>6.1f} "
                      f"{peak:>5.0f} ({peak - warm:+.0f}) {copy_s:>7.2f} "
                      f"{copy_s / seconds:>8.2f}  {load()}",
                      flush=True)
                odata(form, headers, size, samples)
                print(f"  server peak RSS after OData {vmhwm_mb(pid):.0f} MB", flush=True)

if __name__ == "__main__":
    main()

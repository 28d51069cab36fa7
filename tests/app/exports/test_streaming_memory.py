"""Exports stream in constant memory: 200,000 submissions through a real server process whose
peak RSS (VmHWM) must grow by less than 100 MB. PostgreSQL only: the fill uses generate_series
and the point is the server-side cursor."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import text

from app.extensions import db
from app.models import FormVersion
from forms.flatten import flatten
from forms.instance import build_instance
from sync.schema import schema_for

ROOT = Path(__file__).resolve().parents[3]
N = 200_000


def _fill(form_id: int, version_id: int, data: dict, xml: str, n: int) -> None:
    """Bulk inserts, no HTTP: n submissions and their current SubmissionDef rows."""
    db.session.execute(text(
        "INSERT INTO submissions (form_id, instance_id, channel, device_id, created_at) "
        "SELECT :form, 'uuid:bulk-' || g, 'collect', 'collect:bulk', "
        "now() - make_interval(secs => g) FROM generate_series(1, :n) g"),
        {"form": form_id, "n": n})
    db.session.execute(text(
        "INSERT INTO submission_defs (submission_id, form_id, form_version_id, instance_id, xml, "
        "xml_sha256, data, current, created_at) SELECT s.id, s.form_id, :version, s.instance_id, "
        ":xml, 'bulk', CAST(:data AS jsonb), true, s.created_at FROM submissions s "
        "WHERE s.form_id = :form"), {"form": form_id, "version": version_id, "xml": xml,
                                     "data": json.dumps(data)})
    db.session.commit()


def _serve(database_url: str, storage: str) -> tuple[subprocess.Popen, str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "DATABASE_URL": database_url, "STORAGE_DIR": storage,
           "SECRET_KEY": "test-secret", "PHONE_HASH_KEY": "test-phone-key", "REDIS_URL": "",
           "ODK_VALIDATE": "0"}
    code = ("from werkzeug.serving import run_simple; from wsgi import app; "
            f"run_simple('127.0.0.1', {port}, app, threaded=False)")
    server = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(url + "/v1/nothing", timeout=1)
        except urllib.error.HTTPError:
            return server, url
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("export server did not start")


def _peak_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM")


def _download(url: str, headers: dict) -> int:
    size = 0
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=120) as r:
        assert r.status == 200
        while chunk := r.read(1 << 16):
            size += len(chunk)
    return size


def _publish_and_fill(form, values: dict[str, str], n: int,
                      repeats: dict[str, int] | None = None) -> None:
    """`n` copies of one submission of the published `form` with `values` (and `repeats`
    rows per repeat path), stored flattened as ingest would store them."""
    from defusedxml.ElementTree import fromstring

    version = db.session.get(FormVersion, form.current_version_id)
    model = schema_for(version.sha256, lambda: version.xml).model
    xml = build_instance(model, values, instance_id="uuid:bulk", repeats=repeats)
    data = json.loads(json.dumps(flatten(model, fromstring(xml)).__dict__))
    _fill(form.id, version.id, data, xml.decode(), n)


def test_exporting_200000_submissions_keeps_the_server_under_100mb_growth(
        app, database_url, tmp_path, project, viewer, publish_fixture):
    if not database_url.startswith("postgresql"):
        pytest.skip("the 200,000-row fill and server-side cursor are PostgreSQL's")
    headers, _ = viewer
    _publish_and_fill(publish_fixture(project, "water_point"), {
        "/data/consent": "yes", "/data/wp/county": "kisumu", "/data/wp/days_broken": "3",
        "/data/wp/comments": "x" * 200, "/data/wp/location": "-0.09 34.76 1131 4"}, N)

    server, url = _serve(database_url, str(tmp_path / "storage"))
    try:
        base = f"{url}/v1/projects/{project}/forms/water_point"
        _download(f"{base}.svc/Submissions?$top=10", headers)  # imports and caches warm
        before = _peak_kb(server.pid)
        zipped = _download(f"{base}/submissions.csv.zip?async=false", headers)  # the stream itself
        grown_mb = (_peak_kb(server.pid) - before) / 1024
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert zipped > 1_000_000
    assert grown_mb < 100, f"peak RSS grew {grown_mb:.0f} MB"

"""A large export from the web app runs on a real RQ worker (Redis, `flask worker --burst`):
the page shows the job waiting with its progress bar, the bar moves while the worker writes
(htmx polls the row each second), then the file is downloaded, formula-safe, with every
submission in it."""
from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
import uuid
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from app.extensions import db
from sync.ingest import ingest
from tests.app.exports.samples import wp_xml
from tests.browser.conftest import ready

ROOT = Path(__file__).resolve().parents[2]
ROWS = 30_000  # the export then runs for seconds, while the page polls its row each second
# Every progress value the page shows, recorded in the page as htmx swaps the job's row.
WATCH = """() => { window.seen = [];
  const note = () => document.querySelectorAll('progress').forEach(
      p => window.seen.push(Number(p.value)));
  note(); new MutationObserver(note).observe(document.body, {subtree: true, childList: true}); }"""


@pytest.fixture
def queued(app, redis_url):
    """Exports queue to the shared Redis under a prefix of their own (cleaned after)."""
    prefix = f"t{uuid.uuid4().hex[:12]}"
    app.config.update(REDIS_URL=redis_url, QUEUE_PREFIX=prefix, EXPORT_PROGRESS_ROWS=1)
    yield app
    from redis import Redis

    conn = Redis.from_url(redis_url)
    keys = list(conn.scan_iter(f"rq:*{prefix}*"))
    if keys:
        conn.delete(*keys)
    app.config.update(REDIS_URL=None)


def _copy(instance_id: str, count: int) -> None:
    """`count` copies of a submission (its row and its current version), in two statements."""
    numbers = ("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
               "WHERE i < :count) ")
    db.session.execute(text(
        numbers + "INSERT INTO submissions (form_id, instance_id, channel, created_at) "
        "SELECT s.form_id, 'uuid:copy-' || n.i, s.channel, s.created_at FROM submissions s, n "
        "WHERE s.instance_id = :id"), {"count": count, "id": instance_id})
    db.session.execute(text(
        "INSERT INTO submission_defs (submission_id, form_id, form_version_id, instance_id, "
        "xml, xml_sha256, data, current, created_at) SELECT c.id, c.form_id, d.form_version_id, "
        "c.instance_id, d.xml, d.xml_sha256, d.data, d.current, c.created_at "
        "FROM submissions c, submission_defs d WHERE c.instance_id LIKE 'uuid:copy-%' "
        "AND d.instance_id = :id"), {"id": instance_id})
    db.session.commit()


def _worker(app) -> subprocess.Popen:
    """`flask worker --burst --queue exports`: a real RQ worker process on the app's database,
    Redis queues and storage, as an operator runs it; it exits when the queue is empty."""
    config = app.config
    env = {**os.environ, "DATABASE_URL": config["SQLALCHEMY_DATABASE_URI"],
           "REDIS_URL": config["REDIS_URL"], "QUEUE_PREFIX": config["QUEUE_PREFIX"],
           "STORAGE_DIR": config["STORAGE_DIR"], "SECRET_KEY": config["SECRET_KEY"],
           "PHONE_HASH_KEY": config["PHONE_HASH_KEY"], "EXPORT_PROGRESS_ROWS": "1",
           "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker",
                             "--burst", "--queue", "exports"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def test_a_large_export_runs_on_the_worker_with_a_moving_progress_bar(
        queued, page, sign_in, make_project, publish_fixture, live_server, shot, axe):
    project = make_project("Kisumu water watch")
    publish_fixture(project, "water_point")
    # Two submissions through the door (one with a comment a spreadsheet would run as a
    # formula: the web app's files defuse it), then the second copied in bulk in SQL.
    for i, comment in enumerate(("=1+2", "pump broken")):
        ingest(project_id=project, xml=wp_xml(comment).replace("uuid:wp-1", f"uuid:wp-{i}")
               .encode(), attachments={}, channel="collect", submitter_id=None,
               device_id=None, user_agent="test", form_id="water_point")
    db.session.commit()
    _copy("uuid:wp-1", ROWS - 2)
    sign_in(page, "viewer@example.org", roles={project: "viewer"})

    page.goto(f"/projects/{project}/downloads")
    ready(page)
    page.get_by_label("CSV files in a zip").check()
    page.get_by_role("button", name="Prepare the file").click()
    row = page.locator("tbody tr").first
    expect(row).to_contain_text("Waiting")
    expect(row.locator("progress")).to_be_visible()
    expect(row).to_contain_text(f"0 of {ROWS:,} submissions")
    shot(page, "downloads-waiting", phone=False)
    page.evaluate(WATCH)

    worker = _worker(queued)
    try:
        expect(row).to_contain_text("Running", timeout=60_000)
        expect(row).to_contain_text(re.compile(r"[1-9][\d,]* of 30,000 submissions"))
        shot(page, "downloads-running", phone=False)
        expect(row).to_contain_text("Ready", timeout=60_000)
    finally:
        _, errors = worker.communicate(timeout=60)
    assert worker.returncode == 0, errors.decode()[-2000:]

    seen = page.evaluate("window.seen")
    assert any(0 < value < 1 for value in seen), f"the bar never moved: {seen[:20]}"
    axe(page, "downloads")
    with page.expect_download() as download:
        row.get_by_role("link", name="Download").click()
    archive = zipfile.ZipFile(Path(download.value.path()))
    rows = list(csv.reader(io.StringIO(archive.read("water_point.csv").decode("utf-8-sig"))))
    assert len(rows) == ROWS + 1
    at = next(i for i, name in enumerate(rows[0]) if name.endswith("comments"))
    comments = [r[at] for r in rows[1:] if r[at] != "pump broken"]
    assert comments == ["'=1+2"]

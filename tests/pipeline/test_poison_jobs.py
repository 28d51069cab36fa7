"""A poison submission fails or dies alone: a real worker process on real Redis and database,
killed by it twice, quarantines it and processes the rest of its batch; a real oversized
submission hits the worker's memory cap and fails alone (issue 12, item 1)."""
from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from app import queues
from app.extensions import db
from app.models import PipelineOutbox
from app.pipeline import poison, retry
from app.pipeline.status import pipeline_status
from app.worker import InProcessWorker
from tests.app.quarantine_worker import admin_page, admin_pipeline_page
from tests.pipeline.conftest import water_xml
from tests.pipeline.test_queue import work

ROOT = Path(__file__).resolve().parents[2]


def _worker(app, *extra: str, env: dict | None = None) -> int:
    """Run a real worker process until its queues are empty (or it is killed); -> its code."""
    process = subprocess.run(
        [sys.executable, "-m", "tests.pipeline.poison_worker",
         app.config["SQLALCHEMY_DATABASE_URI"], app.config["REDIS_URL"],
         app.config["QUEUE_PREFIX"], *extra],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=240)
    return process.returncode


def pipeline_health(client) -> dict:
    return client.get("/health").get_json()


def _row(def_id: int) -> PipelineOutbox:
    db.session.expire_all()
    return db.session.scalar(select(PipelineOutbox).where(
        PipelineOutbox.submission_def_id == def_id))


def test_a_submission_that_kills_its_worker_twice_is_quarantined_and_its_batch_goes_on(
        queued, water_form, submit, client, make_user, login):
    version = water_form.current_version.version
    first = submit(water_form, water_xml(version))
    bad = submit(water_form, water_xml(version, comments="KILL-THE-WORKER"))
    rest = [submit(water_form, water_xml(version)) for _ in range(2)]
    good = [first, *rest]

    # 1. The batch of four dies with its worker: nothing is lost, nothing is done.
    assert _worker(queued) == -9
    assert all(_row(r.def_id).processed_at is None for r in (*good, bad))
    # 2. The next worker runs the four alone: the first is done; the poison kills it again.
    # (Its clock is an hour ahead so that RQ calls the dead worker's job abandoned now, not
    # after the heartbeat lapses; the next one's two hours.)
    assert _worker(queued, "1") == -9
    assert _row(first.def_id).processed_at is not None
    # 3. The next one finishes the batch, and will not run the poison a third time.
    assert _worker(queued, "2") == 0
    assert all(_row(r.def_id).processed_at is not None for r in good)
    row = _row(bad.def_id)
    assert row.processed_at is None and row.last_error.startswith("quarantined: its worker "
                                                                  "was killed 2 times")
    failed = retry.failed_jobs()
    assert [f["outboxId"] for f in failed] == [row.id]
    assert "quarantined" in failed[0]["error"]
    assert pipeline_status()["failed"] == 1
    make_user("admin@example.org", admin=True)
    admin = login("admin@example.org")
    listed = client.get("/v1/pipeline/failed", headers=admin).get_json()
    assert [f["outboxId"] for f in listed] == [row.id]
    assert row.last_error in admin_pipeline_page(queued)  # the web app's admin pipeline page
    assert pipeline_health(client)["quarantined"]["pipeline"] == 1
    # Per submission, for whoever may read it (the web app shows it on the submission).
    base = f"/v1/projects/{water_form.project_id}/forms/{water_form.xml_form_id}/submissions"
    status = client.get(f"{base}/{bad.instance_id}/pipeline", headers=admin).get_json()
    assert status["status"] == "quarantined" and status["error"] == row.last_error
    assert client.get(f"{base}/{first.instance_id}/pipeline", headers=admin
                      ).get_json()["status"] == "processed"
    page = admin_page(queued, f"/projects/{water_form.project_id}/forms/"
                              f"{water_form.xml_form_id}/submissions/{bad.instance_id}")
    assert "Quarantined" in page and row.last_error in page  # the web app's submission page

    # `retry-failed` sends it round again, with its kill count forgotten (here it is harmless).
    assert retry.retry_failed() == 1
    assert poison.interrupted([row.id]) == set()
    assert pipeline_health(client)["quarantined"]["pipeline"] == 0
    work()
    assert _row(bad.def_id).processed_at is not None


def test_an_oversized_submission_hits_the_workers_memory_cap_and_fails_alone(
        queued, water_form, submit, tmp_path):
    version = water_form.current_version.version
    first = submit(water_form, water_xml(version))
    big = submit(water_form, water_xml(version, comments="x" * (40 * 1024 * 1024)))
    last = submit(water_form, water_xml(version))
    peak_file, cap_file = tmp_path / "peak", tmp_path / "cap"
    assert _worker(queued, env={"PIPELINE_JOB_MEMORY_MB": "100", "PIPELINE_MAX_RETRIES": "1",
                                "PEAK_RSS_FILE": str(peak_file),
                                "MEMORY_CAP_FILE": str(cap_file)}) == 0
    assert _row(first.def_id).processed_at is not None
    assert _row(last.def_id).processed_at is not None
    row = _row(big.def_id)
    # MemoryError in cleaning, or the driver's "out of memory" reading its 40 MB: either way
    # the cap stopped it, and it alone.
    assert row.processed_at is None and "memory" in row.last_error.lower(), row.last_error
    assert [f["outboxId"] for f in retry.failed_jobs()] == [row.id]
    # The cap held: the worker ran capped at its start + the 100 MB it was allowed, and its
    # resident peak stayed under it (the 40 MB answer alone, parsed and cleaned, would not).
    cap, peak = int(cap_file.read_text()), int(peak_file.read_text()) * 1024
    assert cap != resource.RLIM_INFINITY and peak < cap, (peak >> 20, cap >> 20)


def test_a_burst_of_jobs_in_this_process_leaves_its_address_space_uncapped(queued, water_form,
                                                                           submit):
    """Only `flask worker` caps memory: a process that merely runs a burst of jobs (a test, a
    CLI command) keeps its limits, so a JVM it starts later can still reserve its heap."""
    before = resource.getrlimit(resource.RLIMIT_AS)
    submit(water_form, water_xml(water_form.current_version.version))
    InProcessWorker(queues.worker_queues(), connection=queues.connection()).work(burst=True)
    assert resource.getrlimit(resource.RLIMIT_AS) == before


def test_a_version_spinning_past_its_cpu_time_fails_alone_with_the_reason(
        app, water_form, submit, monkeypatch):
    from app.pipeline import batch

    app.config["PIPELINE_VERSION_CPU_SECONDS"] = 0.3
    compute = batch._compute

    def spinning(sub_def, ctx):
        if b"SPIN" in (sub_def.xml if isinstance(sub_def.xml, bytes) else sub_def.xml.encode()):
            while True:
                pass
        return compute(sub_def, ctx)

    monkeypatch.setattr(batch, "_compute", spinning)
    version = water_form.current_version.version
    bad = submit(water_form, water_xml(version, comments="SPIN"))
    good = submit(water_form, water_xml(version))
    assert _row(good.def_id).processed_at is not None
    row = _row(bad.def_id)
    assert row.processed_at is None
    assert row.last_error == "VersionTooCostly: used more than 0.3 s of CPU"

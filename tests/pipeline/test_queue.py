"""Queued mode on a real Redis: same results as inline, retries, failed registry, Redis down,
a worker killed mid-job."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rq import SimpleWorker
from rq.job import Job, JobStatus
from sqlalchemy import func, select

from app import queues
from app.extensions import db
from app.models import CleanedRecord, PipelineOutbox, SdgTag
from app.pipeline import batch, jobs, reprocess
from tests.pipeline.conftest import water_xml

ROOT = Path(__file__).resolve().parents[2]


def work() -> None:
    """Run the pipeline queues until empty, in this process (RQ's recommended test worker)."""
    SimpleWorker(queues.worker_queues(), connection=queues.connection()).work(burst=True)
    db.session.expire_all()


def snapshot() -> dict[int, tuple]:
    out = {}
    for rec in db.session.scalars(select(CleanedRecord)):
        tags = sorted(db.session.execute(select(
            SdgTag.goal, SdgTag.target, SdgTag.indicator, SdgTag.source, SdgTag.field,
            SdgTag.score, SdgTag.version).where(
                SdgTag.submission_def_id == rec.submission_def_id)).all())
        out[rec.submission_def_id] = (rec.record, rec.flags, rec.disaggregation, tags)
    return out


def outbox(def_id: int) -> PipelineOutbox:
    db.session.expire_all()
    return db.session.scalar(select(PipelineOutbox).where(
        PipelineOutbox.submission_def_id == def_id).order_by(PipelineOutbox.id))


def test_queued_mode_gives_the_same_records_and_tags_as_inline(queued, water_form, submit):
    version = water_form.current_version.version
    results = [submit(water_form, water_xml(version, comments=text, days_broken=days))
               for text, days in (("school water", "3"), ("no violence", "x1"), ("", "0"))]
    assert db.session.scalar(select(func.count()).select_from(CleanedRecord)) == 0
    # Three commits in a row, no worker yet: one drain job waits, and takes all three.
    assert queues.queue(queues.FRESH).count == 1
    work()
    queued_results = snapshot()
    assert set(queued_results) == {r.def_id for r in results}
    assert all(outbox(r.def_id).processed_at is not None for r in results)
    db.session.execute(SdgTag.__table__.delete())
    db.session.execute(CleanedRecord.__table__.delete())
    db.session.commit()
    queued.config["REDIS_URL"] = None
    for result in results:
        reprocess.run_now(result.def_id)
    db.session.expire_all()
    assert snapshot() == queued_results


def test_a_failing_job_is_retried_then_failed_then_retried_to_success(
        queued, water_form, submit, monkeypatch, client, admin_headers, runner):
    queued.config["PIPELINE_MAX_RETRIES"] = 2
    result = submit(water_form, water_xml(water_form.current_version.version))
    compute, calls = batch._compute, []

    def broken(sub_def, ctx):
        calls.append(sub_def.id)
        raise RuntimeError("database of place names unavailable")

    monkeypatch.setattr(batch, "_compute", broken)
    work()
    assert len(calls) == 3  # the first run and two retries
    job = Job.fetch(jobs.outbox_job_id(result.outbox_ids[0]), connection=queues.connection())
    assert job.get_status() == JobStatus.FAILED
    row = outbox(result.def_id)
    assert row.processed_at is None and row.attempts == 3
    assert "place names unavailable" in row.last_error
    failed = client.get("/v1/pipeline/failed", headers=admin_headers).get_json()
    assert [(f["id"], f["submissionDefId"]) for f in failed] == [(job.id, result.def_id)]
    assert "place names unavailable" in failed[0]["error"]

    monkeypatch.setattr(batch, "_compute", compute)
    out = runner.invoke(args=["pipeline", "retry-failed"])
    assert out.exit_code == 0 and "retried 1" in out.output
    work()
    assert outbox(result.def_id).processed_at is not None
    assert db.session.scalar(select(func.count()).select_from(CleanedRecord)) == 1
    assert client.get("/v1/pipeline/failed", headers=admin_headers).get_json() == []


def test_submissions_ingested_while_redis_is_down_are_processed_after_it_starts(
        app, private_redis, water_form, submit, runner, client):
    app.config.update(REDIS_URL=private_redis.url, QUEUE_PREFIX="down")
    version = water_form.current_version.version
    results = [submit(water_form, water_xml(version)) for _ in range(3)]  # Redis not running
    assert all(outbox(r.def_id).enqueued_at is None for r in results)
    health = client.get("/health").get_json()
    assert health["pipeline"]["redis"] == "unreachable"
    assert health["pipeline"]["pendingOutbox"] == 3

    private_redis.start()
    out = runner.invoke(args=["pipeline", "drain"])
    assert out.exit_code == 0 and "enqueued 3" in out.output
    # One drain job covers the three rows.
    assert client.get("/health").get_json()["pipeline"]["queues"] == {
        "down-pipeline": 1, "down-bulk": 0}
    # A second drain finds the jobs queued and sends nothing twice.
    assert "enqueued 0" in runner.invoke(args=["pipeline", "drain"]).output
    work()
    assert all(outbox(r.def_id).processed_at is not None for r in results)
    assert client.get("/health").get_json()["pipeline"]["pendingOutbox"] == 0


def test_a_worker_killed_mid_job_leaves_the_submission_to_the_next_worker_once(
        queued, water_form, submit, tmp_path, monkeypatch):
    result = submit(water_form, water_xml(water_form.current_version.version))
    marker = tmp_path / "started"
    worker = subprocess.Popen(
        [sys.executable, "-m", "tests.pipeline.slow_worker",
         queued.config["SQLALCHEMY_DATABASE_URI"], queued.config["REDIS_URL"],
         queued.config["QUEUE_PREFIX"], str(marker)],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert time.monotonic() < deadline and worker.poll() is None, "worker never started"
            time.sleep(0.05)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
    (job_id,) = queues.queue(queues.FRESH).started_job_registry.get_job_ids()
    assert Job.fetch(job_id, connection=queues.connection()).get_status() == JobStatus.STARTED
    assert outbox(result.def_id).processed_at is None

    # The dead worker's heartbeat (at least 60 s) must lapse before RQ calls its job abandoned;
    # rather than wait, the next worker starts with its clock that far ahead.
    import rq.registry

    monkeypatch.setattr(rq.registry, "current_timestamp", lambda: time.time() + 3600)
    work()
    row = outbox(result.def_id)
    # The run the kill cut short counts (its batch's rows then run alone), then one completed.
    assert row.processed_at is not None and row.attempts == 2 and row.last_error is None
    assert db.session.scalar(select(func.count()).select_from(CleanedRecord)) == 1
    assert Job.fetch(job_id, connection=queues.connection()).get_status() == JobStatus.FINISHED


@pytest.mark.parametrize("event", ["submission.reprocess"])
def test_reprocessing_goes_to_the_bulk_queue(queued, water_form, submit, event):
    queued.config["REDIS_URL"] = None
    result = submit(water_form, water_xml(water_form.current_version.version))
    queued.config["REDIS_URL"] = os.environ["REDIS_URL"]
    from app.pipeline import dispatch

    ids = reprocess.request([result.def_id], event)
    assert dispatch.enqueue(ids) == 1
    assert queues.queue(queues.BULK).count == 1 and queues.queue(queues.FRESH).count == 0
    work()
    assert outbox(result.def_id).processed_at is not None


def test_workers_retag_on_their_own_when_the_mapping_or_classifier_changes(
        queued, water_form, submit, fake_classifier):
    from app.models import FormVersion
    from app.worker import InProcessWorker

    result = submit(water_form, water_xml(water_form.current_version.version))
    work()
    version = db.session.get(FormVersion, water_form.current_version_id)
    version.sdg_mapping = {"form": ["11"]}
    db.session.commit()
    fake_classifier.version = "fake-2"
    # A worker's maintenance tick (here: at its start) finds the stale tags and re-tags them.
    InProcessWorker(queues.worker_queues(), connection=queues.connection()).work(burst=True)
    db.session.expire_all()
    tags = db.session.execute(select(SdgTag.goal, SdgTag.source, SdgTag.version).where(
        SdgTag.submission_def_id == result.def_id)).all()
    assert {t for t in tags if t.source == "form"} == {(11, "form", version.version)}
    assert {t.version for t in tags if t.source == "model"} == {"fake-2"}
    events = db.session.scalars(select(PipelineOutbox.event).order_by(PipelineOutbox.id)).all()
    assert events == ["submission.created", "submission.retag"]
    # Nothing stale any more: the next tick queues nothing.
    assert reprocess.stale_defs() == []


def test_ingest_hands_its_rows_to_redis_without_reading_them_back(
        queued, water_form, submit, monkeypatch):
    from sqlalchemy import event

    from app.pipeline import dispatch
    statements: list[str] = []
    calls: list[tuple] = []
    original = dispatch.after_commit

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    def watched(outbox_ids, events=None):
        calls.append((list(outbox_ids), events))
        event.listen(db.engine, "before_cursor_execute", record)
        try:
            original(outbox_ids, events)
        finally:
            event.remove(db.engine, "before_cursor_execute", record)

    monkeypatch.setattr(dispatch, "after_commit", watched)
    version = water_form.current_version.version
    results = [submit(water_form, water_xml(version)) for _ in range(2)]
    assert calls == [(r.outbox_ids, {r.outbox_ids[0]: "submission.created"}) for r in results]
    assert statements == []  # no SELECT of the rows, no second connection
    # The two commits coalesce into one waiting drain job, which takes both rows.
    assert queues.queue(queues.FRESH).count == 1
    work()
    assert all(outbox(r.def_id).processed_at is not None for r in results)

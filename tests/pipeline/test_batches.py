"""Drain jobs: batches of outbox rows per RQ job, on a real Redis and database; a bad version
never holds back the others; `flask worker` serves the SMS queue too."""
from __future__ import annotations

import pytest
from rq.job import Job, JobStatus
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from app import queues
from app.extensions import db
from app.models import CleanedRecord, PipelineOutbox, SdgTag
from app.pipeline import batch, dispatch, hooks, jobs, reprocess
from app.queries import outbox as outbox_queries
from tests.pipeline.conftest import water_xml
from tests.pipeline.test_queue import outbox, snapshot, work


def _processed() -> set[int]:
    db.session.expire_all()
    return set(db.session.scalars(select(PipelineOutbox.submission_def_id).where(
        PipelineOutbox.processed_at.is_not(None))))


def test_a_full_batch_queues_its_successor_until_the_backlog_is_gone(
        queued, water_form, submit):
    queued.config["PIPELINE_BATCH"] = 2
    version = water_form.current_version.version
    results = [submit(water_form, water_xml(version)) for _ in range(5)]
    assert queues.queue(queues.FRESH).count == 1
    finished = queues.queue(queues.FRESH).finished_job_registry
    work()
    assert _processed() == {r.def_id for r in results}
    # 2 + 2 + 1: three drain jobs, each one transaction.
    assert len(finished.get_job_ids()) == 3
    assert db.session.scalar(select(func.count()).select_from(CleanedRecord)) == 5
    assert {r.attempts for r in db.session.scalars(select(PipelineOutbox))} == {1}


def test_a_failing_version_is_handed_its_own_job_and_the_batch_commits(
        queued, water_form, submit, monkeypatch, runner):
    queued.config["PIPELINE_MAX_RETRIES"] = 2
    version = water_form.current_version.version
    good = [submit(water_form, water_xml(version)) for _ in range(2)]
    bad = submit(water_form, water_xml(version, comments="poison"))
    more = submit(water_form, water_xml(version))
    compute, calls = batch._compute, []

    def picky(sub_def, ctx):
        if sub_def.id == bad.def_id:
            calls.append(sub_def.id)
            raise RuntimeError("gazetteer unavailable")
        return compute(sub_def, ctx)

    monkeypatch.setattr(batch, "_compute", picky)
    work()
    assert _processed() == {r.def_id for r in (*good, more)}
    assert len(calls) == 3  # once in the batch, then its own job and one retry
    row = outbox(bad.def_id)
    assert row.processed_at is None and row.attempts == 3
    assert "gazetteer unavailable" in row.last_error
    job = Job.fetch(jobs.outbox_job_id(row.id), connection=queues.connection())
    assert job.get_status() == JobStatus.FAILED
    # The sweep leaves a failed job to retry-failed, and no drain takes the row again.
    assert dispatch.sweep() == 0
    monkeypatch.setattr(batch, "_compute", compute)
    assert "retried 1" in runner.invoke(args=["pipeline", "retry-failed"]).output
    work()
    assert outbox(bad.def_id).processed_at is not None


def test_a_batch_whose_writes_fail_is_run_row_by_row(queued, water_form, submit, monkeypatch):
    version = water_form.current_version.version
    results = [submit(water_form, water_xml(version)) for _ in range(3)]
    save = batch._save_many

    def no_batches(found):
        if len(found) > 1:
            raise RuntimeError("statement too large")
        return save(found)

    monkeypatch.setattr(batch, "_save_many", no_batches)
    work()
    assert _processed() == {r.def_id for r in results}
    assert {r.attempts for r in db.session.scalars(select(PipelineOutbox))} == {1}


def test_listeners_hear_once_per_version_after_commit_fresh_or_not(
        queued, water_form, submit):
    heard: list[tuple[int, bool, int]] = []

    def listener(def_id: int, fresh: bool) -> None:
        # The results are visible from another connection: committed.
        engine = create_engine(queued.config["SQLALCHEMY_DATABASE_URI"])
        with Session(engine) as other:
            count = other.scalar(select(func.count()).select_from(SdgTag).where(
                SdgTag.submission_def_id == def_id))
        engine.dispose()
        heard.append((def_id, fresh, count))

    batches: list[list[tuple[int, bool]]] = []
    hooks.on_processed(listener)
    batch_listener = hooks.on_processed_batch(lambda items: batches.append(list(items)))
    try:
        version = water_form.current_version.version
        results = [submit(water_form, water_xml(version)) for _ in range(2)]
        work()
        ids = reprocess.request([r.def_id for r in results])
        dispatch.after_commit(ids)
        work()
    finally:
        hooks._listeners.remove(listener)
        hooks._batch_listeners.remove(batch_listener)
    assert [(d, f) for d, f, _ in heard] == [
        (results[0].def_id, True), (results[1].def_id, True),
        (results[0].def_id, False), (results[1].def_id, False)]
    assert all(count > 0 for _, _, count in heard)
    # A batch listener hears each drain job's batch in one call.
    first, second = results[0].def_id, results[1].def_id
    assert batches == [[(first, True), (second, True)], [(first, False), (second, False)]]


def test_drains_share_a_backlog_without_overlap(app, water_form, submit):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SKIP LOCKED is PostgreSQL's; SQLite serialises writers")
    version = water_form.current_version.version
    for _ in range(5):
        submit(water_form, water_xml(version, comments="x"))
    db.session.execute(PipelineOutbox.__table__.update().values(processed_at=None, attempts=0))
    db.session.commit()
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        with Session(engine) as first:
            taken = first.execute(outbox_queries.claim_query(queues.FRESH, 3)).all()
            second = outbox_queries.claim(queues.FRESH, 3)
            assert len(taken) == 3 and len(second) == 2
            assert not {r.id for r in taken} & {r.outbox_id for r in second}
            first.rollback()
        db.session.rollback()
    finally:
        engine.dispose()


def test_inline_batches_give_the_queued_results(app, water_form, submit, queued):
    version = water_form.current_version.version
    texts = ("school water", "no violence", "", "maji")
    results = [submit(water_form, water_xml(version, comments=t)) for t in texts]
    work()
    queued_results = snapshot()
    db.session.execute(SdgTag.__table__.delete())
    db.session.execute(CleanedRecord.__table__.delete())
    db.session.execute(PipelineOutbox.__table__.update().values(processed_at=None, attempts=0))
    db.session.commit()
    queued.config["REDIS_URL"] = None
    assert dispatch.drain_inline() == (len(results), 0)
    db.session.expire_all()
    assert snapshot() == queued_results


def test_flask_worker_serves_the_sms_queue_too(queued, runner):
    from app.messaging import jobs as messaging_jobs

    sms = queues.queue(queues.SMS)
    job = sms.enqueue(messaging_jobs.send_message_job, 987654)  # no such message: skipped
    out = runner.invoke(args=["worker", "--burst"])
    assert out.exit_code == 0, out.output
    job.refresh()
    assert job.get_status() == JobStatus.FINISHED and job.return_value() == "skipped"
    # A worker may serve the SMS queue alone.
    job = sms.enqueue(messaging_jobs.send_message_job, 987655)
    assert runner.invoke(args=["worker", "--queue", "sms", "--burst"]).exit_code == 0
    job.refresh()
    assert job.get_status() == JobStatus.FINISHED
    sms.delete(delete_jobs=True)


def test_a_drain_starts_where_the_last_ended_and_looks_below_when_short(
        queued, water_form, submit):
    version = water_form.current_version.version
    results = [submit(water_form, water_xml(version)) for _ in range(3)]
    ids = [r.outbox_ids[0] for r in results]
    queued.config["PIPELINE_BATCH"] = 1
    assert jobs.drain(queues.FRESH, after=ids[1]) == "processed 1, handed off 0"
    assert _processed() == {results[2].def_id}
    queued.config["PIPELINE_BATCH"] = 5
    # Nothing above the cursor is left: it takes what waits below.
    assert jobs.drain(queues.FRESH, after=ids[2]) == "processed 2, handed off 0"
    assert _processed() == {r.def_id for r in results}

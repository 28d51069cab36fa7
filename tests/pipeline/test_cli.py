"""`flask pipeline ...` in the embedded (inline) mode, and what it shows."""
from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.models import CleanedRecord, FormVersion, PipelineOutbox
from app.pipeline import batch
from tests.pipeline.conftest import water_xml


def test_drain_processes_what_failed_inline_and_retry_failed_the_rest(
        app, water_form, submit, runner, monkeypatch):
    app.config["PIPELINE_MAX_RETRIES"] = 1
    compute = batch._compute
    monkeypatch.setattr(batch, "_compute",
                        lambda d, ctx: (_ for _ in ()).throw(OSError("disk full")))
    result = submit(water_form, water_xml(water_form.current_version.version))
    row = db.session.scalar(select(PipelineOutbox))
    assert row.processed_at is None and row.attempts == 1 and "disk full" in row.last_error

    out = runner.invoke(args=["pipeline", "drain"])
    assert out.exit_code == 0 and "processed 0, failed 1" in out.output
    # Failed twice (1 + PIPELINE_MAX_RETRIES): drain leaves it to retry-failed.
    assert "processed 0, failed 0" in runner.invoke(args=["pipeline", "drain"]).output
    assert "disk full" in runner.invoke(args=["pipeline", "failed"]).output

    monkeypatch.setattr(batch, "_compute", compute)
    assert "retried 1" in runner.invoke(args=["pipeline", "retry-failed"]).output
    db.session.expire_all()
    assert db.session.get(PipelineOutbox, row.id).processed_at is not None
    assert db.session.scalar(select(CleanedRecord.submission_def_id)) == result.def_id


def test_reprocess_one_instance_or_all_with_a_progress_bar(water_form, submit, runner):
    version = water_form.current_version.version
    first, _ = (submit(water_form, water_xml(version)) for _ in range(2))
    out = runner.invoke(args=["pipeline", "reprocess", "--form", "water_point",
                              "--instance", first.instance_id])
    assert out.exit_code == 0 and "1 submission(s) done" in out.output
    out = runner.invoke(args=["pipeline", "reprocess", "--all"])
    assert out.exit_code == 0 and "2 submission(s) done" in out.output
    assert runner.invoke(args=["pipeline", "reprocess"]).exit_code == 2
    assert db.session.scalar(select(func.count()).select_from(CleanedRecord)) == 2


def test_an_ambiguous_form_id_asks_for_the_project(make_project, publish_fixture, runner):
    publish_fixture(make_project("A"), "water_point")
    second = publish_fixture(make_project("B"), "water_point")
    out = runner.invoke(args=["pipeline", "retag", "--form", "water_point"])
    assert out.exit_code == 2 and "--project" in out.output
    out = runner.invoke(args=["pipeline", "retag", "--form", "water_point",
                              "--project", str(second.project_id)])
    assert out.exit_code == 0, out.output


def test_disaggregation_follows_the_questions_the_form_marks(water_form, submit):
    version = db.session.get(FormVersion, water_form.current_version_id)
    version.disaggregation = {"/data/wp/county": "location", "/data/wp/location": "location"}
    db.session.commit()
    result = submit(water_form, water_xml(version.version))
    record = db.session.scalar(select(CleanedRecord).where(
        CleanedRecord.submission_def_id == result.def_id))
    assert record.disaggregation == {"location": {
        "admin_area": {"county": "kisumu"},
        "geopoint": {"lat": -0.0917, "lon": 34.768, "alt": 1150.0, "accuracy": 5.0}}}
    assert record.pipeline_version == "clean-1"


def test_worker_needs_redis(runner):
    out = runner.invoke(args=["worker"])
    assert out.exit_code == 2 and "REDIS_URL" in out.output

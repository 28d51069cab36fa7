"""Inline mode end to end: ingest -> cleaned record + SDG tags, idempotent and re-taggable."""
from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.models import CleanedRecord, FormVersion, PipelineOutbox, SdgTag
from app.pipeline import jobs, reprocess
from tests.pipeline.conftest import water_xml


def _tags(def_id: int) -> list[tuple]:
    return sorted(db.session.execute(select(
        SdgTag.goal, SdgTag.target, SdgTag.indicator, SdgTag.source, SdgTag.field,
        SdgTag.score, SdgTag.version).where(SdgTag.submission_def_id == def_id)).all())


def test_ingested_submission_is_cleaned_and_tagged_inline(water_form, submit):
    version = water_form.current_version.version
    result = submit(water_form, water_xml(version))
    record = db.session.scalar(select(CleanedRecord).where(
        CleanedRecord.submission_def_id == result.def_id))
    assert record.record["/data/wp/days_broken"] == 12
    assert record.record["/data/wp/who_fetches"] == ["women", "girls"]
    assert record.record["/data/wp/source_other"] == "Water  kiosk"
    assert record.record["/data/wp/location"] == {
        "lat": -0.0917, "lon": 34.768, "alt": 1150.0, "accuracy": 5.0}
    assert record.record["/data/wp/price"] is None
    assert record.flags == []
    tags = _tags(result.def_id)
    assert (6, "", "", "form", "", 1.0, version) in tags                     # form level
    assert (6, "6.1", "6.1.1", "form", "/data/wp/minutes_to_fetch", 1.0, version) in tags
    assert (5, "5.4", "5.4.1", "form", "/data/wp/who_fetches", 1.0, version) in tags
    assert not any(t[4] == "/data/wp/price" for t in tags)  # not answered: no tag
    assert (6, "", "", "model", "/data/wp/source_other", 0.9, "fake-1") in tags
    assert (4, "", "", "model", "/data/wp/comments", 0.8, "fake-1") in tags
    outbox = db.session.scalar(select(PipelineOutbox).where(
        PipelineOutbox.submission_def_id == result.def_id))
    assert outbox.processed_at is not None and outbox.attempts == 1


def test_running_a_job_twice_gives_the_same_rows_and_no_duplicates(water_form, submit):
    result = submit(water_form, water_xml(water_form.current_version.version))
    before = _tags(result.def_id)
    reprocess.run_now(result.def_id)
    reprocess.run_now(result.def_id)
    assert _tags(result.def_id) == before
    assert db.session.scalar(select(func.count()).select_from(CleanedRecord)) == 1
    outbox_id = result.outbox_ids[0]
    assert jobs.run_outbox(outbox_id) == "already processed"


def test_a_changed_mapping_retags_old_submissions(water_form, submit, runner):
    result = submit(water_form, water_xml(water_form.current_version.version))
    version = db.session.get(FormVersion, water_form.current_version_id)
    version.sdg_mapping = {"form": ["11"], "questions": {},
                           "choices": [{"path": "/data/wp/water_source", "choice": "other",
                                        "codes": ["6.1.1"]},
                                       {"path": "/data/wp/water_source", "choice": "tap",
                                        "codes": ["6.2.1"]}]}
    db.session.commit()
    out = runner.invoke(args=["pipeline", "retag", "--form", "water_point"])
    assert out.exit_code == 0, out.output
    form_tags = [t for t in _tags(result.def_id) if t[3] == "form"]
    assert [t[:5] for t in form_tags] == [
        (6, "6.1", "6.1.1", "form", "/data/wp/water_source"), (11, "", "", "form", "")]

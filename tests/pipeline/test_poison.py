"""Poison submissions: one huge answer costs memory and time linear in its size, bounded, and
never stops the pipeline (issue 12, item 1)."""
from __future__ import annotations

import time
import tracemalloc

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import CleanedRecord, PipelineOutbox
from app.pipeline import tagging
from app.pipeline.classifier import load_classifier
from app.pipeline.classifier.text import MAX_TEXT_CHARS, MAX_TOKEN_CHARS, tokens
from tests.pipeline.conftest import water_xml


@pytest.fixture
def real_classifier():
    tagging.set_classifier(load_classifier())
    yield
    tagging.set_classifier(None)


def test_tokens_are_cut_at_the_documented_length_and_texts_at_the_documented_size():
    assert tokens("a" * 1000 + " maji") == ["a" * MAX_TOKEN_CHARS, "maji"]
    assert len(tokens("maji " * MAX_TEXT_CHARS)) == MAX_TEXT_CHARS // 5


@pytest.mark.parametrize("answer", ["a" * 40_000, "b" * 5 * 1024 * 1024,
                                    "water toilets sanitation " * 200_000],
                         ids=["40000-character word", "5 MB word", "5 MB of repeated words"])
def test_a_huge_answer_is_cleaned_and_tagged_within_a_memory_and_time_bound(
        water_form, submit, real_classifier, answer):
    version = water_form.current_version.version
    xml = water_xml(version, comments=answer)
    tracemalloc.start()
    began = time.perf_counter()
    try:
        result = submit(water_form, xml)  # stored, then the pipeline runs inline after commit
        took = time.perf_counter() - began
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    row = db.session.scalar(select(PipelineOutbox).where(
        PipelineOutbox.submission_def_id == result.def_id))
    assert row.processed_at is not None and row.last_error is None
    record = db.session.scalar(select(CleanedRecord.record).where(
        CleanedRecord.submission_def_id == result.def_id))
    assert record["/data/wp/comments"] == answer.strip()
    # The answer's own copies (XML, parsed tree, cleaned record, the database's parameters)
    # take ~10x its size; the classifier adds next to nothing. Before issue 12 a 40,000-char
    # word alone took ~800 MB, and 5 MB took the worker to 22 GB.
    assert peak < 25 * len(answer) + 30 * 1024 * 1024, f"{peak / 2 ** 20:.0f} MiB"
    assert took < 60

"""Tags from the form's mapping are exact; tags from free text are the classifier's suggestions."""
from __future__ import annotations

from app.pipeline.fields import FieldSpec, FormSpec
from app.pipeline.tagging import Tag, mapping_tags, tags_key, text_tags, unique
from tests.pipeline.conftest import FakeClassifier

MAPPING = {
    "form": ["5"],
    "questions": {"/data/violence_12m": ["5.2.1"], "/data/reported": ["16.3.1"],
                  "/data/child": ["4.1.1"]},
    "choices": [{"path": "/data/why_not", "choice": "fear", "codes": ["16.3.1", "5.2"]},
                {"path": "/data/why_not", "choice": "cost", "codes": ["1.4"]},
                {"path": "/data/owns_phone", "choice": "yes", "codes": ["5.b.1"]}],
}
RECORD = {"/data/violence_12m": "yes", "/data/reported": None,
          "/data/why_not": ["fear", "far"], "/data/owns_phone": "no",
          "/data/child": [{"/data/child/in_school": "yes"}],
          "/data/story": "Violence at the water point", "/data/phone": "hmac-sha256:ab"}


def test_form_level_always_questions_when_answered_choices_when_selected():
    tags = unique(mapping_tags(MAPPING, RECORD, "v1"))
    assert [(t.goal, t.target, t.indicator, t.field) for t in tags] == [
        (4, "4.1", "4.1.1", "/data/child"),  # a group counts as answered through its children
        (5, None, None, None),
        (5, "5.2", None, "/data/why_not"),
        (5, "5.2", "5.2.1", "/data/violence_12m"),
        (16, "16.3", "16.3.1", "/data/why_not"),
    ]
    assert all(t.source == "form" and t.score == 1.0 and t.version == "v1" for t in tags)


def test_malformed_codes_are_skipped_not_fatal():
    assert mapping_tags({"form": ["x.y", "6"]}, {}, "v") == [
        Tag(6, None, None, "form", None, 1.0, "v")]


def test_free_text_answers_go_to_the_classifier_phones_and_choices_do_not():
    spec = FormSpec(fields={
        "/data/story": FieldSpec("/data/story", "string", "input", False, None, False),
        "/data/phone": FieldSpec("/data/phone", "string", "input", False, None, False),
        "/data/violence_12m": FieldSpec("/data/violence_12m", "string", "select1", False,
                                        None, False),
    }, repeats=frozenset())
    fake = FakeClassifier()
    tags = text_tags(spec, RECORD, fake)
    assert fake.calls == ["Violence at the water point"]
    assert [(t.goal, t.source, t.field, t.score, t.version) for t in tags] == [
        (6, "model", "/data/story", 0.9, "fake-1"), (5, "model", "/data/story", 0.7, "fake-1")]


def test_unique_keeps_one_tag_per_key_with_the_best_score():
    a = Tag(6, None, None, "model", "/data/c", 0.4, "m")
    b = Tag(6, None, None, "model", "/data/c", 0.8, "m")
    assert unique([a, b, a]) == [b]


def test_the_tags_key_changes_with_the_mapping_or_the_classifier():
    assert tags_key(MAPPING, "m1") == tags_key(dict(MAPPING), "m1")
    assert tags_key(MAPPING, "m1") != tags_key(MAPPING, "m2")
    assert tags_key(MAPPING, "m1") != tags_key({"form": ["5"]}, "m1")

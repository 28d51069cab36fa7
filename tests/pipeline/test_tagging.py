"""Tags from the form's mapping are exact; tags from free text are the classifier's suggestions."""
from __future__ import annotations

from app.pipeline.fields import FieldSpec, FormSpec
from app.pipeline.tagging import Tag, mapping_tags, tags_key, text_tags, unique
from forms.xlsform import compile_upload
from tests.conftest import FIXTURE_FORMS
from tests.pipeline.conftest import FakeClassifier

# Shaped like sdg5_safety v4: the sensitive questions sit in the group /data/survey, asked
# only after consent and the "safe to answer now?" check.
MAPPING = {
    "form": ["5"],
    "questions": {"/data/survey/violence_12m": ["5.2.1"], "/data/survey/reported": ["16.3.1"],
                  "/data/survey/child": ["4.1.1"]},
    "choices": [{"path": "/data/survey/why_not", "choice": "fear", "codes": ["16.3.1", "5.2"]},
                {"path": "/data/survey/why_not", "choice": "cost", "codes": ["1.4"]},
                {"path": "/data/survey/owns_phone", "choice": "yes", "codes": ["5.b.1"]}],
}
RECORD = {"/data/consent": "yes", "/data/safe_now": "yes",
          "/data/survey/violence_12m": "yes", "/data/survey/reported": None,
          "/data/survey/why_not": ["fear", "far"], "/data/survey/owns_phone": "no",
          "/data/survey/child": [{"/data/survey/child/in_school": "yes"}],
          "/data/survey/story": "Violence at the water point", "/data/phone": "hmac-sha256:ab"}


def test_form_level_always_questions_when_answered_choices_when_selected():
    tags = unique(mapping_tags(MAPPING, RECORD, "v1"))
    assert [(t.goal, t.target, t.indicator, t.field) for t in tags] == [
        # a repeat or group counts as answered through its children
        (4, "4.1", "4.1.1", "/data/survey/child"),
        (5, None, None, None),
        (5, "5.2", None, "/data/survey/why_not"),
        (5, "5.2", "5.2.1", "/data/survey/violence_12m"),
        (16, "16.3", "16.3.1", "/data/survey/why_not"),
    ]
    assert all(t.source == "form" and t.score == 1.0 and t.version == "v1" for t in tags)


def test_sdg5_declined_consent_or_not_safe_gets_only_the_form_level_tag():
    mapping = compile_upload((FIXTURE_FORMS / "sdg5_safety.xlsx").read_bytes(), None,
                             "sdg5_safety.xlsx", validate=False, ignore_warnings=True).sdg.to_json()
    assert "/data/survey/violence_12m" in mapping["questions"]
    for record in ({"/data/consent": "no", "/data/safe_now": None, "/data/survey/age": None},
                   {"/data/consent": "yes", "/data/safe_now": "no", "/data/survey/child": []}):
        tags = unique(mapping_tags(mapping, record, "v4"))
        assert [(t.goal, t.target, t.indicator, t.field) for t in tags] == [(5, None, None, None)]


def test_malformed_codes_are_skipped_not_fatal():
    assert mapping_tags({"form": ["x.y", "6"]}, {}, "v") == [
        Tag(6, None, None, "form", None, 1.0, "v")]


def test_free_text_answers_go_to_the_classifier_phones_and_choices_do_not():
    spec = FormSpec(fields={
        "/data/survey/story": FieldSpec("/data/survey/story", "string", "input", False, None,
                                        False),
        "/data/phone": FieldSpec("/data/phone", "string", "input", False, None, False,
                                 personal="phone"),
        "/data/survey/violence_12m": FieldSpec("/data/survey/violence_12m", "string", "select1",
                                               False, None, False),
    }, repeats=frozenset())
    fake = FakeClassifier()
    tags = text_tags(spec, RECORD, fake)
    assert fake.calls == ["Violence at the water point"]
    assert [(t.goal, t.source, t.field, t.score, t.version) for t in tags] == [
        (6, "model", "/data/survey/story", 0.9, "fake-1"),
        (5, "model", "/data/survey/story", 0.7, "fake-1")]


def test_unique_keeps_one_tag_per_key_with_the_best_score():
    a = Tag(6, None, None, "model", "/data/c", 0.4, "m")
    b = Tag(6, None, None, "model", "/data/c", 0.8, "m")
    assert unique([a, b, a]) == [b]


def test_the_tags_key_changes_with_the_mapping_or_the_classifier():
    assert tags_key(MAPPING, "m1") == tags_key(dict(MAPPING), "m1")
    assert tags_key(MAPPING, "m1") != tags_key(MAPPING, "m2")
    assert tags_key(MAPPING, "m1") != tags_key({"form": ["5"]}, "m1")

"""Sex, age group and location from the questions a form marks."""
from __future__ import annotations

from app.pipeline.disaggregation import age_group, disaggregate

MARKS = {"/data/sex": "sex", "/data/age": "age", "/data/county": "location",
         "/data/ward": "location", "/data/gps": "location"}


def test_marked_questions_give_sex_age_group_and_location():
    record = {"/data/sex": "Mwanamke", "/data/age": 34, "/data/county": "kisumu",
              "/data/ward": "kondele", "/data/gps": {"lat": -0.1, "lon": 34.7, "alt": None,
                                                    "accuracy": 4.0}, "/data/other": "x"}
    assert disaggregate(record, MARKS) == {
        "sex": "female", "age": 34, "age_group": "30-34",
        "location": {"admin_area": {"county": "kisumu", "ward": "kondele"},
                     "geopoint": {"lat": -0.1, "lon": 34.7, "alt": None, "accuracy": 4.0}}}


def test_unanswered_or_unmarked_questions_give_nothing():
    assert disaggregate({"/data/sex": None}, MARKS) == {}
    assert disaggregate({"/data/sex": "male"}, {}) == {}


def test_age_bands_and_a_select_of_bands_kept_as_named():
    assert [age_group(a) for a in (0, 4, 5, 17, 79, 80, 101)] == [
        "0-4", "0-4", "5-9", "15-19", "75-79", "80+", "80+"]
    assert disaggregate({"/data/age": "18_24"}, MARKS) == {"age": "18_24", "age_group": "18_24"}


def test_a_marked_question_inside_a_repeat_uses_its_first_answer():
    record = {"/data/people": [{"/data/people/sex": "f"}, {"/data/people/sex": "m"}]}
    assert disaggregate(record, {"/data/people/sex": "sex"}) == {"sex": "female"}

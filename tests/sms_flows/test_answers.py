"""Parsing what people type into the values Collect stores, with reasons in their language."""
from __future__ import annotations

import pytest

from forms.model import Choice, Field
from sms_flows.answers import AnswerError, parse_answer

YN = (Choice("yes", {"English (en)": "Yes", "Español (es)": "Sí"}),
      Choice("no", {"English (en)": "No", "Español (es)": "No"}))
SERVICES = (Choice("agua", {"es": "Agua potable"}), Choice("luz", {"es": "Electricidad"}),
            Choice("ninguno", {"es": "Ninguno"}, {"sms_option": "x"}))


def q(kind: str = "string", control: str | None = "input") -> Field:
    return Field(path="/data/q", name="q", kind="question", type=kind, control=control)


@pytest.mark.parametrize(("typed", "value"), [
    ("1", "yes"), (" 2 ", "no"), ("2.", "no"), ("si", "yes"), ("SÍ", "yes"), ("yes", "yes"),
    ("No", "no"), ("१", "yes"),
])
def test_select_one_takes_number_label_any_case_and_accents_or_name(typed, value):
    assert parse_answer(q(control="select1"), typed, YN) == value


@pytest.mark.parametrize("typed", ["3", "0", "maybe"])
def test_select_one_refuses_what_is_not_on_the_list(typed):
    with pytest.raises(AnswerError) as error:
        parse_answer(q(control="select1"), typed, YN)
    assert error.value.text("sw") == "Jibu kwa namba kutoka kwenye orodha."


@pytest.mark.parametrize(("typed", "value"), [
    ("1 2", "agua luz"), ("2,1", "agua luz"), ("2, 1", "agua luz"), ("x", "ninguno"),
    ("agua potable", "agua"), ("luz 1", "agua luz"), ("1 1", "agua"),
])
def test_select_multiple_takes_numbers_or_names_in_list_order(typed, value):
    assert parse_answer(q(control="select"), typed, SERVICES) == value


def test_select_multiple_refuses_an_unknown_item_with_an_example():
    with pytest.raises(AnswerError) as error:
        parse_answer(q(control="select"), "1 9", SERVICES)
    assert "1 3" in error.value.text("en")


@pytest.mark.parametrize(("kind", "typed", "value"), [
    ("int", "42", "42"), ("int", "-3", "-3"), ("int", "४२", "42"),
    ("decimal", "2,5", "2.5"), ("decimal", "2.50", "2.5"), ("decimal", "12", "12.0"),
    ("date", "25/12/2024", "2024-12-25"), ("date", "25-12-2024", "2024-12-25"),
    ("date", "5.1.24", "2024-01-05"), ("date", "2024-12-25", "2024-12-25"),
    ("time", "14:30", "14:30:00.000"),
    ("geopoint", "-1.28 36.82", "-1.28 36.82 0 0"), ("geopoint", "-1,28 36,82", "-1.28 36.82 0 0"),
    ("geopoint", "-1.28,36.82", "-1.28 36.82 0 0"),
    ("string", "  Kisima   cha  Mama ", "Kisima cha Mama"),
])
def test_typed_values_become_what_collect_writes(kind, typed, value):
    assert parse_answer(q(kind), typed) == value


@pytest.mark.parametrize(("kind", "typed", "reason"), [
    ("int", "12.5", "Reply with a whole number."), ("int", "ten", "Reply with a whole number."),
    ("int", "99999999999", "Reply with a whole number."),
    ("decimal", "1,2,3", "Reply with a number, e.g. 2.5."),
    ("date", "31/02/2024", "Reply with a date like 25/12/2024."),
    ("date", "12/2024", "Reply with a date like 25/12/2024."),
    ("geopoint", "95 10", "Reply with latitude and longitude"),
    ("time", "25:00", "Reply with a time like 14:30."),
])
def test_invalid_values_say_why(kind, typed, reason):
    with pytest.raises(AnswerError) as error:
        parse_answer(q(kind), typed)
    assert error.value.text("en").startswith(reason)


def test_reasons_come_in_the_persons_language_and_fall_back_to_english():
    with pytest.raises(AnswerError) as error:
        parse_answer(q("int"), "mingi")
    assert error.value.text("es") == "Responda con un número entero."
    assert error.value.text("ne") == "पूर्ण सङ्ख्या पठाउनुहोस्।"
    assert error.value.text("fr") == "Reply with a whole number."


def test_an_empty_reply_is_an_empty_value():
    assert parse_answer(q("int"), "   ") == ""

"""The form walker: body order, relevance, calculates, repeats, choices, checks, the instance."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from defusedxml.ElementTree import fromstring
from pyxform.xls2xform import convert

from forms.model import parse_xform
from forms.walker import Walk, language_code, sms_readiness

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def md(text: str):
    return parse_xform(convert(xlsform=text, file_type=".md").xform.encode())


def keys(walk: Walk, *, relevant_only: bool = True) -> list[str]:
    return [e.key for e in walk.events() if e.relevant or not relevant_only]


def test_questions_come_in_body_order_with_the_note_last(form_model):
    walk = Walk(form_model("water_point"), {"/data/consent": "yes"}, now=NOW)
    events = [e for e in walk.events() if e.relevant]
    assert [e.key for e in events][:3] == ["/data/consent", "/data/wp/county", "/data/wp/ward"]
    assert events[-1].key == "/data/thanks" and events[-1].kind == "note"


def test_a_group_that_is_not_relevant_hides_every_question_in_it(form_model):
    walk = Walk(form_model("water_point"), {"/data/consent": "no"}, now=NOW)
    assert keys(walk) == ["/data/consent", "/data/thanks"]


def test_relevance_follows_an_earlier_answer(form_model):
    model = form_model("water_point")
    before = Walk(model, {"/data/consent": "yes", "/data/wp/water_source": "tap"}, now=NOW)
    after = Walk(model, {"/data/consent": "yes", "/data/wp/water_source": "vendor"}, now=NOW)
    assert "/data/wp/price" not in keys(before)
    assert "/data/wp/price" in keys(after)


def test_cascading_select_offers_only_the_wards_of_the_county(form_model):
    walk = Walk(form_model("water_point"), {"/data/consent": "yes",
                                             "/data/wp/county": "turkana"}, now=NOW)
    ward = next(e for e in walk.events() if e.key == "/data/wp/ward")
    assert [c.name for c in walk.choices(ward)] == ["kalokol", "lodwar"]


def test_constraint_message_comes_in_the_current_language(form_model):
    model = form_model("water_point")
    walk = Walk(model, {"/data/consent": "yes", "/data/wp/functional": "no"}, now=NOW,
                language="Kiswahili (sw)")
    days = next(e for e in walk.events() if e.key == "/data/wp/days_broken")
    assert walk.check(days, "400") == "Andika idadi ya siku kati ya 0 na 365"
    assert walk.check(days, "12") is None
    assert walk.check(days, "") == "required"


def test_cross_field_constraint_reads_the_other_answer(form_model):
    walk = Walk(form_model("escuela"), {"/data/alumnos": "30"}, now=NOW)
    girls = next(e for e in walk.events() if e.key == "/data/alumnas")
    assert walk.check(girls, "31") == "No puede ser mayor que el total de alumnos"
    assert walk.check(girls, "30") is None


def test_date_constraint_is_checked_against_today(form_model):
    walk = Walk(form_model("health_post"), {}, now=NOW)
    visit = next(e for e in walk.events() if e.key == "/data/visit_date")
    assert walk.check(visit, "2026-11-27") == "The date cannot be in the future"
    assert walk.check(visit, "2019-05-01") is not None
    assert walk.check(visit, "2026-11-26") is None


def test_calculate_is_recomputed_and_shown_in_a_note_label(form_model):
    model = form_model("health_post")
    walk = Walk(model, {"/data/open_today": "yes", "/data/staff_doctors": "2"}, now=NOW)
    summary = next(e for e in walk.events() if e.key == "/data/summary")
    assert walk.label(summary).startswith("Staff present: 2.")
    walk.answer(next(e for e in walk.events() if e.key == "/data/staff_nurses"), "3")
    assert walk.label(summary).startswith("Staff present: 5.")


def test_answers_of_a_question_that_became_irrelevant_are_blank_in_calculations(form_model):
    walk = Walk(form_model("health_post"), {"/data/open_today": "no",
                                            "/data/staff_doctors": "4"}, now=NOW)
    assert walk.element("/data/staff_total").text == "0"


# sdg5_safety v4: consent and "safe to answer now?" open it; the rest is group /data/survey.
SAFE_YES = {"/data/consent": "yes", "/data/safe_now": "yes"}


def test_sdg5_asks_consent_then_safety_then_the_survey_with_the_note_last(form_model):
    walk = Walk(form_model("sdg5_safety"), SAFE_YES, now=NOW)
    asked = keys(walk)
    assert asked[:4] == ["/data/consent", "/data/safe_now", "/data/survey/age",
                         "/data/survey/sex"]
    assert asked[-1] == "/data/thanks"


@pytest.mark.parametrize(("answers", "asked"), [
    ({"/data/consent": "no"}, ["/data/consent", "/data/thanks"]),
    ({"/data/consent": "yes", "/data/safe_now": "no"},
     ["/data/consent", "/data/safe_now", "/data/thanks"]),
])
def test_sdg5_declined_consent_or_not_safe_hides_every_sensitive_question(form_model, answers,
                                                                          asked):
    walk = Walk(form_model("sdg5_safety"), answers, now=NOW)
    assert keys(walk) == asked
    root = fromstring(walk.instance_xml("uuid:no"))
    assert root.find("survey") is None
    assert [c.tag for c in root] == [p.rsplit("/", 1)[1] for p in asked] + ["meta"]


def test_repeat_count_makes_one_instance_per_child_with_its_position_in_labels(form_model):
    walk = Walk(form_model("sdg5_safety"), {**SAFE_YES, "/data/survey/n_children": "2"},
                now=NOW)
    ages = [e for e in walk.events() if e.key.endswith("/child_age")]
    assert [e.key for e in ages] == ["/data/survey/child[1]/child_age",
                                     "/data/survey/child[2]/child_age"]
    assert all(e.relevant for e in ages)
    assert [walk.label(e) for e in ages] == ["Age of child 1?", "Age of child 2?"]
    assert walk.repeats == {"/data/survey/child": 2}
    assert not any(e.kind == "prompt" for e in walk.events())


def test_lowering_the_count_drops_the_extra_instances(form_model):
    model = form_model("sdg5_safety")
    walk = Walk(model, {**SAFE_YES, "/data/survey/n_children": "3"},
                {"/data/survey/child": 3}, now=NOW)
    walk.answer(next(e for e in walk.events() if e.key == "/data/survey/n_children"), "1")
    assert [e.key for e in walk.events() if e.key.endswith("child_age")] == \
        ["/data/survey/child[1]/child_age"]


def test_exclusive_none_constraint_uses_selected_and_count_selected(form_model):
    walk = Walk(form_model("sdg5_safety"), {**SAFE_YES, "/data/survey/violence_12m": "yes"},
                now=NOW)
    kinds = next(e for e in walk.events() if e.key == "/data/survey/violence_type")
    assert kinds.relevant
    assert walk.check(kinds, "physical none") == "'None' cannot be chosen with other answers"
    assert walk.check(kinds, "none") is None


def test_optional_image_is_an_unanswerable_event_and_readiness_accepts_the_form(form_model):
    model = form_model("escuela")
    photo = next(e for e in Walk(model, {}, now=NOW).events() if e.key == "/data/foto")
    assert photo.kind == "unanswerable" and not photo.required
    assert sms_readiness(model) == []


def test_readiness_refuses_a_required_signature_by_name():
    model = md("""
| survey |           |      |           |          |            |
|        | type      | name | label     | required | appearance |
|        | text      | who  | Who?      | yes      |            |
|        | image     | sig  | Sign here | yes      | signature  |
""")
    problems = sms_readiness(model)
    assert [p.path for p in problems] == ["/data/sig"]
    assert "cannot be answered by SMS" in problems[0].message and "sig" in problems[0].message


REPEAT_MD = """
| survey |              |        |                   |         |                    |
|        | type         | name   | label             | default | calculation        |
|        | begin repeat | member | Member            |         |                    |
|        | text         | mname  | Name of member    |         |                    |
|        | integer      | mage   | Age of ${mname}   |         |                    |
|        | end repeat   |        |                   |         |                    |
|        | begin group  | more   | More              |         |                    |
|        | note         | info   | Members: ${count} |         |                    |
|        | text         | town   | Town              | Moshi   |                    |
|        | end group    |        |                   |         |                    |
|        | calculate    | count  |                   |         | count(${member})   |
"""


def test_a_repeat_without_count_is_offered_with_a_prompt_and_grows_on_request():
    walk = Walk(md(REPEAT_MD), {}, now=NOW)
    assert keys(walk)[0] == "+/data/member"
    new = walk.add_repeat("/data/member")
    assert new == "/data/member[1]"
    assert keys(walk)[:3] == ["/data/member[1]/mname", "/data/member[1]/mage", "+/data/member"]
    walk.answer(next(e for e in walk.events() if e.key == "/data/member[1]/mname"), "Amina")
    age = next(e for e in walk.events() if e.key == "/data/member[1]/mage")
    assert walk.label(age) == "Age of Amina"
    walk.add_repeat("/data/member")
    info = next(e for e in walk.events() if e.key == "/data/more/info")
    assert info.kind == "note" and walk.label(info) == "Members: 2"


def test_defaults_fill_the_instance_until_answered():
    walk = Walk(md(REPEAT_MD), {}, now=NOW)
    assert walk.element("/data/more/town").text == "Moshi"
    root = fromstring(walk.instance_xml("uuid:1"))
    assert root.find("more/town").text == "Moshi"


def test_instance_leaves_out_irrelevant_nodes_and_carries_form_identity(form_model):
    model = form_model("water_point")
    walk = Walk(model, {"/data/consent": "no"}, now=NOW)
    root = fromstring(walk.instance_xml("uuid:5a1"))
    assert root.get("id") == "water_point" and root.get("version") == model.version
    assert root.find("wp") is None and root.find("consent").text == "no"
    assert root.find("meta/instanceID").text == "uuid:5a1"


def test_instance_holds_repeat_rows_with_their_calculated_positions(form_model):
    walk = Walk(form_model("sdg5_safety"), {**SAFE_YES, "/data/survey/n_children": "2",
                                            "/data/survey/child[2]/child_age": "9"}, now=NOW)
    root = fromstring(walk.instance_xml("uuid:1"))
    assert (root.findtext("consent"), root.findtext("safe_now")) == ("yes", "yes")
    children = root.findall("survey/child")
    assert [c.find("child_pos").text for c in children] == ["1", "2"]
    assert children[1].find("child_age").text == "9"


@pytest.mark.parametrize(("name", "code"), [("Kiswahili (sw)", "sw"), ("नेपाली (ne)", "ne"),
                                            ("Español (es)", "es"), ("French", "French")])
def test_language_code_reads_the_code_in_brackets(name, code):
    assert language_code(name) == code


def test_over_whatsapp_a_required_photo_is_answerable_but_a_signature_is_not():
    model = md("""
| survey |           |      |           |          |            |
|        | type      | name | label     | required | appearance |
|        | image     | pic  | A photo   | yes      |            |
|        | audio     | note | Say it    | yes      |            |
|        | image     | sig  | Sign here | yes      | signature  |
""")
    assert [p.path for p in sms_readiness(model)] == ["/data/pic", "/data/note", "/data/sig"]
    assert [p.path for p in sms_readiness(model, "whatsapp")] == ["/data/sig"]

"""Compact mode: the whole form in one message (onadata's syntax), checked like a conversation."""
from __future__ import annotations

from defusedxml.ElementTree import fromstring

from tests.sms_flows.engine_support import Talk, md_model

WATER_OK = "MAJI 1 +wp 3 1 7 Kisima 2 30 45 1,3 - 120 -1.28,36.82 Maji ni machache"


def test_a_whole_water_point_survey_in_one_message_is_saved():
    talk = Talk("water_point", text=WATER_OK)
    assert talk.replies == ["Thank you! Your answers have been saved."]
    assert talk.state.status == "completed"
    assert talk.state.submission_channel == "compact"
    wp = fromstring(talk.state.instance_xml.encode()).find("wp")
    assert [wp.find(n).text for n in ("county", "ward", "source_other", "who_fetches",
                                      "location", "comments")] == \
        ["nairobi", "kibra", "Kisima", "women girls", "-1.28 36.82 0 0", "Maji ni machache"]
    assert wp.find("price") is None


def test_every_error_comes_back_in_one_reply_in_the_persons_language():
    talk = Talk("water_point", text="MAJI 1 +wp 3 9 7 - 2 400 45 1,3 - 0", language="sw")
    assert talk.replies == [
        "Haijahifadhiwa. Tafadhali sahihisha na utume tena:\n"
        "ward: Jibu kwa namba kutoka kwenye orodha.\n"
        "source_other: Swali hili linahitaji jibu.\n"
        "days_broken: Andika idadi ya siku kati ya 0 na 365\n"
        "households: Andika namba kati ya 1 na 4999"]
    assert talk.state.status == "active" and talk.state.instance_xml is None


def test_a_corrected_message_after_errors_is_saved():
    talk = Talk("water_point", text="MAJI 1 +wp 3 9")
    assert "Not saved" in talk.reply
    assert "saved" in talk.send("MAJI 1 +wp 3 1 1 - 1 - 45 1,3 - - - -")
    assert talk.state.status == "completed"


def test_after_a_failed_compact_message_a_plain_text_starts_the_questions():
    talk = Talk("water_point", text="MAJI 1 +wp 3 9")
    assert talk.send("hello").startswith("Do you agree")


def test_unknown_section_code_is_named():
    talk = Talk("water_point", text="MAJI 1 +xyz 1 2")
    assert "unknown section +xyz" in talk.reply


def test_a_form_whose_repeat_needs_answers_refuses_compact_mode():
    talk = Talk("sdg5_safety", text="SAFE 1 1 +survey 30 1 1 1 2 - - - 1 1 2")
    assert "child_age cannot be sent in one message" in talk.reply
    assert talk.state.status == "active" and talk.state.instance_xml is None


def test_sdg5_without_children_in_one_message_is_saved_inside_its_group():
    talk = Talk("sdg5_safety", text="SAFE 1 1 +survey 30 1 1 1 2 - - - 1 1 0 -")
    assert talk.replies == ["Thank you! Your answers have been saved."]
    root = fromstring(talk.state.instance_xml.encode())
    assert (root.findtext("consent"), root.findtext("safe_now")) == ("yes", "yes")
    survey = root.find("survey")
    assert [survey.findtext(n) for n in ("age", "sex", "violence_12m", "n_children")] == \
        ["30", "female", "no", "0"]
    assert survey.find("violence_type") is None and survey.find("child") is None


def test_sdg5_declined_consent_in_one_message_keeps_none_of_the_answers_sent_with_it():
    talk = Talk("sdg5_safety", text="SAFE 2 +survey 30 1 1 1 2 - - - 1 1 0 -")
    assert talk.state.status == "completed"
    root = fromstring(talk.state.instance_xml.encode())
    assert [c.tag for c in root] == ["consent", "thanks", "meta"]
    assert root.findtext("consent") == "no"


def test_ungrouped_escuela_in_one_message_skips_the_photo():
    talk = Talk("escuela", text="ESCUELA 1 Escuela12 120 60 1,3 1 - Falta agua")
    root = fromstring(talk.state.instance_xml.encode())
    assert root.find("servicios").text == "electricidad agua"
    assert root.find("problema").text == "Falta agua"
    assert root.find("ubicacion").text is None


SMS_FIELD_MD = """
| survey  |              |         |           |                 |
|         | type         | name    | label     | bind::sms_field |
|         | begin group  | visit   | Visit     | v               |
|         | select_one yn| ok      | OK?       |                 |
|         | integer      | people  | People    |                 |
|         | end group    |         |           |                 |
| choices |              |         |           |                 |
|         | list_name    | name    | label     | sms_option      |
|         | yn           | yes     | Yes       | y               |
|         | yn           | no      | No        | n               |
"""


def test_sms_field_codes_and_sms_option_answers_follow_onadata():
    form = md_model(SMS_FIELD_MD)
    talk = Talk(form, text="VISIT +v n 12")
    assert talk.state.status == "completed", talk.reply
    root = fromstring(talk.state.instance_xml.encode())
    assert root.find("visit/ok").text == "no" and root.find("visit/people").text == "12"


def test_compact_mode_can_be_turned_off_per_channel():
    talk = Talk("water_point", text=WATER_OK, settings={"compact": False})
    assert talk.state.status == "active" and talk.reply.startswith("Do you agree")

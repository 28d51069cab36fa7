"""Cost before going live: the shortest and longest path through a survey, in messages and
SMS parts per language, computed by answering the form with the real engine."""
from __future__ import annotations

from sms_flows import render
from sms_flows.cost import survey_cost
from tests.sms_flows.engine_support import (
    LANGUAGES,
    Talk,
    citizen_model,
    markdown,
    md_model,
    model_with,
)

BRANCHY = markdown({
    "survey": [
        ["type", "name", "label::English (en)", "label::नेपाली (ne)", "required", "relevant",
         "constraint", "repeat_count"],
        ["select_one yn", "works", "Does it work?", "के यो चल्छ?", "yes", "", "", ""],
        ["integer", "days", "Days broken?", "कति दिन बिग्रियो?", "yes", "${works} = 'no'",
         ". >= 1 and . <= 3", ""],
        ["begin repeat", "visit", "Visit", "भ्रमण", "", "", "", "${days}"],
        ["text", "why", "Why?", "किन?", "yes", "", "", ""],
        ["end repeat", "", "", "", "", "", "", ""],
        ["note", "bye", "Thanks", "धन्यवाद", "", "", "", ""],
    ],
    "choices": [["list_name", "name", "label::English (en)", "label::नेपाली (ne)"],
                ["yn", "yes", "Yes", "हो"], ["yn", "no", "No", "होइन"]],
})


def test_shortest_and_longest_paths_follow_skip_logic_and_repeat_counts():
    english, nepali = survey_cost(md_model(BRANCHY))
    assert english.language == "English (en)" and nepali.language == "नेपाली (ne)"
    # Shortest: KEY -> "Does it work?", 1 -> "Thanks".
    assert english.shortest.to_json() == {"questions": 1, "messagesIn": 2, "messagesOut": 2,
                                          "segments": 2, "gsm7Segments": 2, "ucs2Segments": 0}
    # Longest: no, 3 days (the constraint's largest), three "Why?" -> 5 answers.
    assert (english.longest.questions, english.longest.messages_out) == (5, 6)
    assert nepali.longest.ucs2 == nepali.longest.segments == 6
    assert english.exhaustive and english.paths == 3  # works; 1 day; 3 days
    assert english.declined is None


def test_a_computed_path_costs_what_the_conversation_costs():
    cost = survey_cost(model_with("water_point", consent="consent"))[0]
    talk = Talk(model_with("water_point", consent="consent"), text="MAJI")
    sent = list(talk.replies)
    for text in ("1", "1", "1", "1", "1", "30", "1", "SKIP", "SKIP", "SKIP"):
        talk.send(text)
        sent += talk.replies
    assert talk.state.status == "completed"
    assert cost.shortest.messages_out == len(sent)
    assert cost.shortest.segments == sum(render.segments(t).count for t in sent)
    assert cost.shortest.messages_in == 11  # the keyword and ten answers


def test_a_declined_consent_is_reported_apart():
    for result in survey_cost(citizen_model()):
        assert result.declined.messages_out == 2 and result.declined.questions == 1
        assert result.shortest.questions == 6
    assert [r.language for r in survey_cost(citizen_model())] == LANGUAGES


def test_parts_follow_the_channels_budget_and_each_languages_alphabet():
    results = {r.language: r for r in survey_cost(citizen_model(), settings={"segments": 1})}
    assert results["English (en)"].longest.ucs2 == 0
    assert results["Español (es)"].longest.ucs2 > 0  # ¿, á, ñ: UCS-2
    assert results["नेपाली (ne)"].longest.gsm7 == 0
    lookalikes = {r.language: r for r in survey_cost(
        citizen_model(), settings={"segments": 1, "lookalikes": True})}
    assert lookalikes["Español (es)"].longest.ucs2 < results["Español (es)"].longest.ucs2


def test_ussd_and_whatsapp_count_screens_and_messages_not_parts():
    for medium in ("ussd", "whatsapp"):
        result = survey_cost(citizen_model(), medium)[0]
        assert result.longest.segments == 0 and result.longest.messages_out >= 6
    ussd = survey_cost(citizen_model(), "ussd")[0]
    assert ussd.longest.messages_in == ussd.longest.questions  # dialling is no message


def test_the_search_is_bounded_and_says_when_it_stopped_early():
    result = survey_cost(model_with("water_point", consent="consent"), max_steps=30)[0]
    assert not result.exhaustive and result.paths < 43
    assert survey_cost(model_with("water_point", consent="consent"))[0].paths == 43


def test_answers_that_would_read_as_the_keyword_or_a_command_are_not_given():
    form = md_model(markdown({"survey": [["type", "name", "label"], ["text", "t", "Say"]]}))
    for keyword in ("SAFI", "HAKUNA", "KEY"):
        result = survey_cost(form, keyword=keyword)[0]
        assert result.exhaustive and result.shortest.messages_out == 2


def test_a_ussd_label_shown_over_screens_costs_the_hops_to_read_it():
    # sdg5_safety v4's consent takes two USSD screens: a person reads it whole ("0" for the
    # second screen), so every USSD path costs one more hop in and one more screen out.
    form = model_with("sdg5_safety", consent="consent safe_now")
    ussd = survey_cost(form, "ussd", keyword="SAFE")[0]
    sms = survey_cost(form, "sms", keyword="SAFE")[0]
    assert ussd.declined.questions == sms.declined.questions == 1
    assert (ussd.declined.messages_in, ussd.declined.messages_out) == (2, 3)  # 0, then 2
    assert ussd.shortest.messages_in == ussd.shortest.questions + 1
    assert ussd.longest.messages_out == ussd.longest.questions + 2
    talk = Talk(form, "ussd", text="SAFE")
    talk.send("0")
    talk.send("2")
    assert talk.state.status == "declined"  # the path counted: 2 hops in, 3 screens out

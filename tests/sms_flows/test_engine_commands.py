"""Commands in every language, attempts, idle reminders and expiry, switching, USSD screens."""
from __future__ import annotations

from datetime import timedelta

import pytest

from sms_flows import engine, render
from tests.sms_flows.engine_support import Talk


def test_stop_in_kiswahili_opts_out_and_says_how_to_start_again():
    talk = Talk("water_point", language="sw")
    talk.send("1")
    assert "Tuma ANZA kuanza tena" in talk.send("acha")
    assert talk.state.status == "opted-out"
    assert "Karibu tena" in talk.send("ANZA") and "Uko kaunti gani?" in talk.reply
    assert talk.state.status == "active"


@pytest.mark.parametrize("word", ["STOP", "unsubscribe", "Cancelar", "रोक", "quit."])
def test_every_stop_word_of_every_language_stops(word):
    talk = Talk("escuela")
    talk.send(word)
    assert talk.state.status == "opted-out"


def test_help_lists_the_commands_in_the_persons_language_and_asks_again():
    talk = Talk("escuela")
    reply = talk.send("ayuda")
    assert "ATRAS vuelve atrás" in reply and "SALTAR" in reply and "IDIOMA" in reply
    assert reply.endswith("Misiones")


def test_back_on_the_first_question_says_so():
    talk = Talk("water_point")
    assert "This is the first question." in talk.send("BACK")


def test_back_returns_to_the_previous_question_and_a_new_answer_changes_the_path():
    talk = Talk("water_point")
    talk.play([("1", ["county"]), ("1", ["ward"]), ("BACK", ["Which county are you in?"]),
               ("turkana", ["Which ward?", "1. Kalokol", "2. Lodwar Township"])])


def test_skip_is_refused_on_a_required_question():
    talk = Talk("water_point")
    assert "This question cannot be skipped." in talk.send("skip")
    assert talk.state.at == "/data/consent"


def test_restart_clears_the_answers_and_issues_a_new_instance_id():
    talk = Talk("water_point")
    talk.send("1")
    first_id = talk.state.instance_id
    assert "Starting again." in talk.send("restart") and "Do you agree" in talk.reply
    assert talk.state.answers.get("/data/consent") is None
    assert talk.state.instance_id != first_id


def test_language_switch_lists_the_forms_languages_and_changes_the_question():
    talk = Talk("water_point")
    reply = talk.send("LANGUAGE")
    assert reply == "Choose a language:\n1. English\n2. Kiswahili"
    assert talk.send("2").startswith("Je, unakubali")
    assert talk.state.language == "sw"
    assert talk.send("lang english").startswith("Do you agree")


def test_language_menu_refuses_an_unknown_choice():
    talk = Talk("escuela")
    talk.send("idioma")
    assert "Responda con un número de la lista." in talk.send("9")


def test_project_command_words_replace_the_defaults():
    talk = Talk("water_point", commands={"back": ["NYUMA"]})
    talk.send("1")
    assert "Do you agree" in talk.send("nyuma")


def test_after_max_attempts_an_optional_question_is_skipped():
    talk = Talk("water_point", settings={"max_attempts": 2})
    for text in ("1", "1", "1", "1", "tap", "1", "10", "1"):
        talk.send(text)
    assert talk.state.at == "/data/wp/households"
    talk.send("many")
    reply = talk.send("lots")
    assert "Skipped after 2 tries." in reply and "Location of the water point" in reply


def test_after_max_attempts_a_required_question_keeps_asking_with_a_help_hint():
    talk = Talk("sdg5_safety")
    talk.send("1")  # consent
    assert "How old are you?" in talk.send("1")  # safe to answer now
    for _ in range(3):
        reply = talk.send("old")
    assert "Reply with a whole number. Send HELP for help." in reply
    assert talk.state.at == "/data/survey/age"


def _to_services(talk: Talk) -> None:
    for text in ("1", "Escuela 5", "100", "40"):
        talk.send(text)


def test_paging_a_long_list_with_zero_for_more():
    talk = Talk("escuela", settings={"segments": 1})
    _to_services(talk)
    pages = [talk.reply]
    while "7. Ninguno" not in pages[-1]:
        pages.append(talk.send("0"))
    assert len(pages) > 1 and all(render.segments(p).count == 1 for p in pages)
    assert all(p.endswith("0 Más") for p in pages[:-1]) and not pages[-1].endswith("0 Más")
    shown = [line for p in pages for line in p.splitlines()[1:] if line != "0 Más"]
    assert [line.split(".")[0] for line in shown] == [str(n) for n in range(1, 8)]
    assert talk.send("0") == pages[0]  # after the last page, the first again
    assert "comedor" in talk.send("7")


def test_numbers_stay_the_same_across_pages():
    talk = Talk("escuela", settings={"segments": 1})
    _to_services(talk)
    talk.send("0")
    talk.send("1 3")
    assert talk.state.answers["/data/servicios"] == "electricidad agua"


def test_idle_survey_gets_one_reminder_then_expires_and_resumes_with_answers():
    talk = Talk("water_point", settings={"remind_after": 600, "expire_after": 3600})
    talk.send("1")
    state, replies = engine.tick(talk.state, talk.now + timedelta(minutes=5))
    assert replies == []
    state, replies = engine.tick(state, talk.now + timedelta(minutes=11))
    assert replies[0].startswith("Reminder: your survey is waiting for you.")
    assert "Which county" in replies[0]
    state, replies = engine.tick(state, talk.now + timedelta(minutes=30))
    assert replies == [] and state.status == "active"
    state, replies = engine.tick(state, talk.now + timedelta(hours=2))
    assert replies == [] and state.status == "expired"
    state, replies = engine.resume(state, talk.now + timedelta(days=1))
    assert state.status == "active" and "Welcome back." in replies[0]
    assert "Which county" in replies[0] and state.answers["/data/consent"] == "yes"


def test_a_text_to_an_expired_survey_answers_the_question_where_it_stopped():
    talk = Talk("water_point", settings={"remind_after": 1, "expire_after": 2})
    talk.send("1")
    talk.state, _ = engine.tick(talk.state, talk.now + timedelta(seconds=5))
    talk.state, _ = engine.tick(talk.state, talk.now + timedelta(seconds=10))
    assert talk.state.status == "expired"
    assert "Which ward?" in talk.send("nairobi", after=timedelta(days=2))
    assert talk.state.status == "active"


def test_another_forms_keyword_asks_before_switching():
    talk = Talk("water_point", text="MAJI", form_keywords={"SAFE": "sdg5_safety"})
    talk.send("1")
    question = "You have a survey open. Leave it and start the new one?\n1. Yes\n2. No"
    assert talk.send("safe") == question
    assert "Which county" in talk.send("2")
    assert talk.state.switch_to is None and talk.state.status == "active"
    assert talk.send("SAFE") == question
    assert talk.send("maybe") == question
    assert talk.send("1") == ""
    assert talk.state.switch_to == "sdg5_safety" and talk.state.status == "active"
    assert talk.state.answers["/data/consent"] == "yes"
    state, replies = engine.resume(talk.state, talk.now)  # back to the kept partial later
    assert state.switch_to is None and "Which county" in replies[0]


def test_offer_switch_can_be_called_by_the_app_directly():
    talk = Talk("water_point")
    talk.state, replies = engine.offer_switch(talk.state, "escuela", talk.now)
    assert replies[0].endswith("1. Yes\n2. No")
    talk.send("yes")
    assert talk.state.switch_to == "escuela"


def test_the_forms_own_keyword_mid_survey_asks_the_current_question_again():
    talk = Talk("water_point", text="MAJI")
    talk.send("1")
    assert "Which county" in talk.send("maji")
    assert talk.state.at == "/data/wp/county"


def test_ussd_screens_fit_and_carry_the_reason_above_the_question():
    talk = Talk("escuela", "ussd")
    _to_services(talk)
    reply = talk.send("1 7")
    assert len(talk.replies) == 1 and render.ussd_fits(reply)
    assert reply.startswith("'Ninguno' no puede") and "¿Qué servicios" in reply
    assert reply.endswith("0 Más")
    pages = [talk.send("0")]
    while "7. Ninguno" not in pages[-1]:
        pages.append(talk.send("0"))
    assert len(pages) <= 3 and all(render.ussd_fits(p) for p in pages)


def test_ussd_whole_survey_gives_one_screen_per_hop():
    talk = Talk("health_post", "ussd", language="ne")
    for text in ("25/11/2026", "1", "HP one", "2", "3", "1", "1", "skip"):
        talk.send(text)
        assert len(talk.replies) == 1 and render.ussd_fits(talk.reply)
    assert talk.state.status == "completed"


def test_lookalikes_make_spanish_replies_gsm7_when_the_channel_allows():
    talk = Talk("escuela", settings={"lookalikes": True})
    talk.send("1")
    reply = talk.send("Escuela")
    assert reply == "¿Cuantos alumnos tiene la escuela?"
    assert render.is_gsm7(reply)


def test_the_state_is_plain_json_and_loads_back():
    talk = Talk("sdg5_safety", settings={"maxAttempts": 5})
    for text in ("1", "1", "30"):
        talk.send(text)
    assert talk.state.answers["/data/survey/age"] == "30"
    data = talk.state.to_json()
    again = engine.load(data, talk.model)
    assert again.to_json() == data and again.settings["max_attempts"] == 5


def test_language_command_on_a_form_with_one_language_just_asks_again():
    from tests.sms_flows.test_engine import _meta_form

    talk = Talk(_meta_form())
    assert talk.send("LANG") == "Hello\nOptional: send SKIP to skip."
    assert talk.state.pending is None


def test_tick_leaves_finished_and_opted_out_surveys_alone():
    talk = Talk("water_point")
    talk.send("2")
    assert talk.state.status == "completed"
    assert engine.tick(talk.state, talk.now + timedelta(days=3)) == (talk.state, [])
    stopped = Talk("water_point")
    stopped.send("STOP")
    state, replies = engine.tick(stopped.state, stopped.now + timedelta(days=3))
    assert replies == [] and state.status == "opted-out"


def test_a_long_nepali_label_is_sent_whole_in_pieces_within_the_budget():
    from tests.sms_flows.engine_support import md_model

    label = "स्वास्थ्य चौकीमा आज कति जना बिरामी आए र उनीहरूलाई के के सेवा दिइयो " * 3
    form = md_model(f"""
| survey | | | | |
| | type | name | label::नेपाली (ne) | required |
| | text | long | {label.strip()} | yes |
""")
    talk = Talk(form, settings={"segments": 1})
    assert len(talk.replies) > 1
    assert all(render.segments(r).count == 1 for r in talk.replies)
    assert " ".join(talk.replies) == label.strip()


def test_after_back_a_new_answer_goes_on_to_the_first_unanswered_question():
    talk = Talk("water_point")
    for text in ("1", "1", "1", "tap", "yes", "45"):
        talk.send(text)
    assert talk.state.at == "/data/wp/who_fetches"
    talk.play([("BACK", ["How many minutes"]), ("BACK", ["working today?"]),
               ("no", ["For how many days"]),  # newly relevant: asked
               ("10", ["Who usually fetches the water?"])])  # 45 minutes kept, not re-asked
    assert talk.state.answers["/data/wp/minutes_to_fetch"] == "45"

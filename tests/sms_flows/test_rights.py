"""MYDATA and DELETE: the words in four languages and what is said back (the app finds the
holdings and erases; these are the words)."""
from __future__ import annotations

from datetime import datetime

import pytest

from sms_flows import engine, keywords, prompts, render, rights
from sms_flows.keywords import CommandMatch, match_command
from tests.sms_flows.engine_support import Talk, citizen_model

HELD = [rights.Holding("Water point monitoring", datetime(2026, 11, 26, 9), "sms"),
        rights.Holding("Safety and equality (SDG 5)", datetime(2026, 12, 1, 9), "whatsapp",
                       sensitive=True),
        rights.Holding("Health post check", datetime(2026, 10, 2, 9), "ussd")]


@pytest.mark.parametrize(("text", "command"), [
    ("MYDATA", "mydata"), ("my data", "mydata"), ("Taarifa zangu", "mydata"),
    ("MIS DATOS", "mydata"), ("misdatos", "mydata"), ("मेरो विवरण", "mydata"),
    ("DELETE", "delete"), ("futa", "delete"), ("Borrar", "delete"), ("मेटाउ", "delete"),
])
def test_the_rights_words_in_four_languages(text, command):
    assert match_command(text) == CommandMatch(command)
    assert command in keywords.RIGHTS


@pytest.mark.parametrize(("lang", "expected"), [
    ("en", "From this number we hold 3 survey(s) and the messages about them:\n"
           "- A confidential survey, 01/12/2026, WhatsApp\n"
           "- Water point monitoring, 26/11/2026, SMS\n"
           "- Health post check, 02/10/2026, USSD\nSend DELETE to erase them."),
    ("sw", "Kutoka namba hii tuna tafiti 3 na jumbe zake:\n"
           "- Utafiti wa siri, 01/12/2026, WhatsApp\n"
           "- Water point monitoring, 26/11/2026, SMS\n"
           "- Health post check, 02/10/2026, USSD\nTuma FUTA kuzifuta."),
    ("es", "De este número tenemos 3 encuesta(s) y sus mensajes:\n"
           "- Una encuesta confidencial, 01/12/2026, WhatsApp\n"
           "- Water point monitoring, 26/11/2026, SMS\n"
           "- Health post check, 02/10/2026, USSD\nEnvíe BORRAR para borrarlas."),
    ("ne", "यो नम्बरबाट हामीसँग 3 सर्वेक्षण र तिनका सन्देशहरू छन्:\n"
           "- एउटा गोप्य सर्वेक्षण, 2026-12-01, WhatsApp\n"
           "- Water point monitoring, 2026-11-26, SMS\n"
           "- Health post check, 2026-10-02, USSD\nमेटाउन मेटाउ पठाउनुहोस्।"),
])
def test_mydata_lists_surveys_dates_and_channels_newest_first(lang, expected):
    assert rights.mydata(HELD, lang) == expected


def test_mydata_with_nothing_held_and_a_long_history():
    # The number and the messages are held from the first text: MYDATA never says "nothing".
    assert rights.mydata([], "sw") == ("Hatuna utafiti wowote kutoka namba hii, ila namba "
                                       "yenyewe na jumbe tulizotumiana.\nTuma FUTA kuzifuta.")
    text = rights.mydata(HELD * 5, "en", limit=2)
    assert text.count("\n- ") == 2 and "and 13 more" in text


def test_mydata_names_the_projects_own_delete_word():
    assert rights.mydata(HELD, "en", {"delete": ["ERASE"]}).endswith("Send ERASE to erase them.")


@pytest.mark.parametrize(("lang", "question"), [
    ("en", "Erase the 3 survey(s) sent from this number, their messages and the number itself? "
           "This cannot be undone.\n1. Erase\n2. Keep"),
    ("sw", "Ufute tafiti 3 zilizotumwa kutoka namba hii, jumbe zake na namba yenyewe? Haiwezi "
           "kurudishwa.\n1. Futa\n2. Hifadhi"),
    ("es", "¿Borrar las 3 encuesta(s) enviadas desde este número, sus mensajes y el número? "
           "No se puede deshacer.\n1. Borrar\n2. Conservar"),
    ("ne", "यो नम्बरबाट पठाइएका 3 सर्वेक्षण, तिनका सन्देश र नम्बर नै मेटाउने? यो फिर्ता "
           "हुँदैन।\n1. मेटाउनुहोस्\n2. राख्नुहोस्"),
])
def test_delete_asks_first(lang, question):
    assert rights.confirm_delete(3, lang) == question


@pytest.mark.parametrize(("reply", "erase"), [
    ("1", True), ("yes", True), ("Ndiyo", True), ("sí", True), ("हो", True), ("१", True),
    ("Futa", True), ("DELETE", True), ("2", False), ("no", False), ("Acha", False),
    ("", False), ("maybe later", False), ("MAJI", False),
])
def test_only_an_explicit_yes_erases(reply, erase):
    assert rights.confirmed(reply) is erase


def test_rights_texts_fit_each_channel():
    long = rights.mydata(HELD * 4, "ne")
    ussd = prompts.fit("ussd", {}, [long])
    assert len(ussd) == 1 and render.ussd_fits(ussd[0])
    sms = prompts.fit("sms", {"segments": 1}, [long])
    assert len(sms) > 1 and all(render.segments(t).count == 1 for t in sms)
    assert prompts.fit("whatsapp", {}, [long]) == [long]
    assert rights.ussd_entries("sw") == ["Taarifa zangu", "Futa taarifa zangu"]


def test_mid_survey_the_engine_leaves_rights_words_to_the_app_and_asks_again():
    talk = Talk(citizen_model(consent=False))
    asked = talk.reply
    assert talk.send("MYDATA") == asked and talk.send("FUTA") == asked
    assert talk.state.status == "active" and talk.state.answers.get("/data/consent") is None
    assert "MYDATA shows what we hold" in talk.send("HELP")
    assert engine.step(talk.state, "1", talk.now)[0].at == "/data/main/broke"


@pytest.mark.parametrize("lang", ["en", "sw", "es", "ne"])
def test_the_confirmation_choices_are_no_other_command(lang):
    # A person may reply with the word shown rather than its number: "Keep" must not be a
    # command word (Kiswahili's ACHA is STOP: it opted the person out instead of keeping).
    from sms_flows.messages import message

    assert match_command(message("keep", lang)) is None
    assert match_command(message("erase", lang)) in (None, CommandMatch("delete"))
    assert not rights.confirmed(message("keep", lang))
    assert rights.confirmed(message("erase", lang))


@pytest.mark.parametrize(("lang", "expected"), [
    ("en", "From this number we hold 2 survey(s) and the messages about them:\n"
           "- Health post check, 02/10/2026, USSD\n- 1 unfinished survey(s) (your answers so "
           "far)\nSend DELETE to erase them."),
    ("sw", "Kutoka namba hii tuna tafiti 2 na jumbe zake:\n"
           "- Health post check, 02/10/2026, USSD\n- tafiti 1 ambazo hazijakamilika (majibu "
           "yako hadi sasa)\nTuma FUTA kuzifuta."),
    ("es", "De este número tenemos 2 encuesta(s) y sus mensajes:\n"
           "- Health post check, 02/10/2026, USSD\n- 1 encuesta(s) sin terminar (sus "
           "respuestas hasta ahora)\nEnvíe BORRAR para borrarlas."),
    ("ne", "यो नम्बरबाट हामीसँग 2 सर्वेक्षण र तिनका सन्देशहरू छन्:\n"
           "- Health post check, 2026-10-02, USSD\n- 1 अधूरो सर्वेक्षण (अहिलेसम्मका तपाईंका "
           "उत्तर)\nमेटाउन मेटाउ पठाउनुहोस्।"),
])
def test_mydata_counts_unfinished_surveys_too(lang, expected):
    assert rights.mydata(HELD[2:], lang, unfinished=1) == expected

"""A USSD session dropped by the network and dialled again: "1. Continue 2. Start again"
within the channel's resume window, in the four languages."""
from __future__ import annotations

from datetime import timedelta

import pytest

from sms_flows import engine
from tests.sms_flows.engine_support import Talk, citizen_model

OFFER = {
    "en": "You have a survey in progress.\n1. Continue\n2. Start again",
    "sw": "Una utafiti unaoendelea.\n1. Endelea\n2. Anza upya",
    "es": "Tiene una encuesta en curso.\n1. Continuar\n2. Empezar de nuevo",
    "ne": "तपाईंको सर्वेक्षण बाँकी छ।\n1. जारी राख्नुहोस्\n2. फेरि सुरु गर्नुहोस्",
}
AGAIN = {"en": "Starting again.", "sw": "Tunaanza upya.", "es": "Empezamos de nuevo.",
         "ne": "फेरि सुरु गर्दै।"}
NOT_A_CHOICE = {"en": "Reply with a number from the list.",
                "sw": "Jibu kwa namba kutoka kwenye orodha.",
                "es": "Responda con un número de la lista.",
                "ne": "सूचीबाट एउटा नम्बर पठाउनुहोस्।"}


def dropped(lang: str) -> Talk:
    """A USSD survey with two answers, then the network cut the session."""
    talk = Talk(citizen_model(), "ussd", language=lang)
    talk.send("1")
    asked = talk.send("25/11/2026")
    talk.state, talk.replies = engine.resume(talk.state, talk.now + timedelta(minutes=2))
    talk.asked = asked
    return talk


@pytest.mark.parametrize("lang", ["en", "sw", "es", "ne"])
def test_redialling_offers_continue_or_start_again(lang):
    talk = dropped(lang)
    assert talk.reply == OFFER[lang]
    assert talk.state.status == "active" and talk.state.pending == "resume"
    assert talk.send("1") == talk.asked  # the question they were on, answers kept
    assert talk.state.answers["/data/main/broke"] == "2026-11-25"


@pytest.mark.parametrize("lang", ["en", "sw", "es", "ne"])
def test_start_again_begins_a_new_instance(lang):
    talk = dropped(lang)
    before = talk.state.instance_id
    reply = talk.send("2")
    assert reply.startswith(AGAIN[lang] + "\n") and "1. " in reply
    assert talk.state.at == "/data/consent" and "/data/main/broke" not in talk.state.answers
    assert talk.state.instance_id != before


@pytest.mark.parametrize("lang", ["en", "sw", "es", "ne"])
def test_anything_else_asks_again(lang):
    talk = dropped(lang)
    assert talk.send("7") == f"{NOT_A_CHOICE[lang]}\n{OFFER[lang]}"
    assert talk.state.pending == "resume"


def test_a_session_dropped_before_any_answer_just_asks_the_question():
    talk = Talk(citizen_model(), "ussd")
    state, replies = engine.resume(talk.state, talk.now + timedelta(minutes=1))
    assert replies == ["Welcome back.\nDo you agree to answer 5 questions?\n1. Yes\n2. No"]
    assert state.pending is None


def test_the_resume_window_is_a_channel_setting():
    talk = Talk(citizen_model(), "ussd", settings={"resumeWindow": 300})
    talk.send("1")
    assert engine.resumable(talk.state, talk.now + timedelta(seconds=300))
    assert not engine.resumable(talk.state, talk.now + timedelta(seconds=301))
    default = Talk(citizen_model(), "ussd")
    assert engine.resumable(default.state, default.now + timedelta(minutes=10))
    assert not engine.resumable(default.state, default.now + timedelta(minutes=11))
    sms = Talk(citizen_model())
    assert engine.resumable(sms.state, sms.now + timedelta(days=30))


def test_sms_resume_has_no_offer():
    talk = Talk(citizen_model())
    talk.send("1")
    _, replies = engine.resume(talk.state, talk.now + timedelta(hours=3))
    assert replies[0].startswith("Welcome back.\nWhen did the water point stop working?")

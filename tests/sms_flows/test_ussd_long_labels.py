"""A label longer than one USSD screen (sdg5_safety version 4's informed consent) is shown over
several screens with "0 More", never cut: the person reads the whole consent text and the
question it ends with before the choices, in English, Kiswahili, Spanish and Nepali."""
from __future__ import annotations

import pytest

from sms_flows import render
from tests.sms_flows.engine_support import LANGUAGES, Talk, markdown, md_model, model_with

CONSENT = {
    "en": "This short survey asks about safety and equality for women and girls (SDG 5). Your "
          "answers are confidential and only ever shown as totals. You can stop at any time by "
          "sending STOP. Do you agree to take part?",
    "sw": "Utafiti huu mfupi unauliza kuhusu usalama na usawa kwa wanawake na wasichana (SDG "
          "5). Majibu yako ni siri na yataonyeshwa tu kama jumla. Unaweza kusimamisha wakati "
          "wowote kwa kutuma STOP. Je, unakubali kushiriki?",
    "es": "Esta breve encuesta pregunta sobre la seguridad y la igualdad de mujeres y niñas "
          "(ODS 5). Sus respuestas son confidenciales y solo se muestran como totales. Puede "
          "terminar en cualquier momento enviando ALTO. ¿Acepta participar?",
    "ne": "यो छोटो सर्वेक्षणले महिला तथा बालिकाको सुरक्षा र समानताबारे सोध्छ (दिगो विकास लक्ष्य ५)। "
          "तपाईंका उत्तरहरू गोप्य रहन्छन् र कुल सङ्ख्याको रूपमा मात्र देखाइन्छन्। तपाईं जुनसुकै "
          "बेला रोक पठाएर रोक्न सक्नुहुन्छ। के तपाईं भाग लिन सहमत हुनुहुन्छ?",
}
YES_NO = {"en": ("Yes", "No", "0 More"), "sw": ("Ndiyo", "Hapana", "0 Zaidi"),
          "es": ("Sí", "No", "0 Más"), "ne": ("हो", "होइन", "0 थप")}
FOUR = md_model(markdown({
    "survey": [["type", "name", *(f"label::{lang}" for lang in LANGUAGES), "required"],
               ["select_one yn", "consent", *CONSENT.values(), "yes"],
               ["integer", "age", "Age?", "Umri?", "¿Edad?", "उमेर?", "yes"]],
    "choices": [["list_name", "name", *(f"label::{lang}" for lang in LANGUAGES)],
                ["yn", "yes", *(YES_NO[lang][0] for lang in YES_NO)],
                ["yn", "no", *(YES_NO[lang][1] for lang in YES_NO)]],
    "settings": [["form_id", "default_language"], ["four", "English (en)"]],
}))


def screens(talk: Talk) -> list[str]:
    """Every screen of the question asked, "0" after "0" until the first comes round again."""
    seen = [talk.reply]
    while True:
        screen = talk.send("0")
        if screen == seen[0]:
            return seen
        seen.append(screen)
        assert len(seen) < 6


@pytest.mark.parametrize("lang", ["en", "sw", "es", "ne"])
def test_a_consent_longer_than_a_screen_is_paged_whole_then_its_choices(lang):
    talk = Talk(FOUR, "ussd", language=lang)
    yes, no, more = YES_NO[lang]
    pages = screens(talk)
    assert len(pages) == 2
    assert all(render.ussd_fits(page) for page in pages)  # "CON " included
    assert pages[0].endswith("\n" + more) and "…" not in "".join(pages)
    assert pages[1].endswith(f"\n1. {yes}\n2. {no}")
    shown = " ".join(p.rsplit("\n", 1)[0] if i == 0 else p.split("\n1. ")[0]
                     for i, p in enumerate(pages))
    assert shown == CONSENT[lang]  # every word, the question it ends with included
    assert talk.send("1") == {"en": "Age?", "sw": "Umri?", "es": "¿Edad?", "ne": "उमेर?"}[lang]
    assert talk.state.answers["/data/consent"] == "yes"


@pytest.mark.parametrize("lang", ["en", "sw"])
def test_sdg5_v4_consent_over_ussd_shows_its_question_before_yes_or_no(lang):
    form = model_with("sdg5_safety", consent="consent safe_now", sensitive="yes")
    talk = Talk(form, "ussd", text="SAFE", language=lang)
    first, second = screens(talk)
    question = {"en": "Do you agree to take part?", "sw": "Je, unakubali kushiriki?"}[lang]
    yes, no, more = YES_NO[lang]
    assert first.endswith(more) and question in second
    assert second.endswith(f"{question}\n1. {yes}\n2. {no}")
    assert talk.send("2") == {
        "en": "Thank you. We will stop here; nothing you sent has been kept.",
        "sw": "Asante. Tunaishia hapa; hakuna ulichotuma kilichohifadhiwa."}[lang]
    assert talk.state.status == "declined"


def test_a_reason_still_fits_above_the_last_screen():
    talk = Talk(FOUR, "ussd", language="en")
    talk.send("0")
    reply = talk.send("7")  # not a choice
    assert reply.startswith("Reply with a number from the list.\n")
    assert reply.endswith("\n1. Yes\n2. No") and render.ussd_fits(reply)
    assert "Do you agree to take part?" in reply


def test_sms_sends_the_whole_consent_in_one_reply():
    talk = Talk(FOUR, "sms", language="en")
    assert talk.reply == CONSENT["en"] + "\n1. Yes\n2. No"


HOUSEHOLD = {
    "en": "Think of everyone who slept in your home last night, including babies, visitors who "
          "stayed the night and anyone who usually lives there but is away for less than a "
          "month. How many people is that?",
    "sw": "Fikiria kila mtu aliyelala nyumbani kwako jana usiku, wakiwemo watoto wachanga, "
          "wageni waliolala na yeyote anayeishi hapo kwa kawaida lakini yuko mbali kwa chini ya "
          "mwezi mmoja. Ni watu wangapi?",
}
LONG_NUMBER = md_model(markdown({
    "survey": [["type", "name", "label::English (en)", "label::Kiswahili (sw)", "required"],
               ["integer", "people", HOUSEHOLD["en"], HOUSEHOLD["sw"], "yes"],
               ["text", "place", "Village?", "Kijiji?", "yes"]],
    "settings": [["form_id", "default_language"], ["household", "English (en)"]],
}))


@pytest.mark.parametrize("lang", ["en", "sw"])
def test_a_long_question_without_choices_is_paged_whole_then_its_hint(lang):
    talk = Talk(LONG_NUMBER, "ussd", language=lang)
    more = YES_NO[lang][2]
    first = talk.reply
    assert first.endswith("\n" + more) and render.ussd_fits(first)
    last = talk.send("0")
    assert render.ussd_fits(last) and not last.endswith(more) and "…" not in first + last
    assert first.rsplit("\n", 1)[0] + " " + last == HOUSEHOLD[lang]  # every word
    assert talk.state.page == 1


def test_the_hint_stands_under_the_label_on_its_last_screen():
    label = HOUSEHOLD["en"].replace("How many people is that?", "When did the last one arrive?")
    form = md_model(markdown({
        "survey": [["type", "name", "label::English (en)", "required"],
                   ["date", "arrived", label, "yes"]],
        "settings": [["form_id", "default_language"], ["arrivals", "English (en)"]]}))
    talk = Talk(form, "ussd", language="en")
    first, last = talk.reply, talk.send("0")
    assert first.endswith("\n0 More") and render.ussd_fits(last)
    label_end, hint = last.rsplit("\n", 1)
    assert first.rsplit("\n", 1)[0] + " " + label_end == label
    assert "2024" in hint  # how to write a date, never left out
    assert talk.send("0").startswith("Reply with a date")  # 0 is an answer here, a wrong one


def test_on_the_last_screen_0_is_an_answer_not_more():
    talk = Talk(LONG_NUMBER, "ussd", language="en")
    talk.send("0")  # More
    assert talk.send("0") == "Village?"  # nobody slept at home: 0 is the answer
    assert talk.state.answers["/data/people"] == "0"


def test_an_answer_sent_from_the_first_screen_is_taken():
    talk = Talk(LONG_NUMBER, "ussd", language="en")
    assert talk.send("6") == "Village?"
    assert talk.state.answers["/data/people"] == "6"


def test_a_refused_answer_shows_its_reason_above_the_question_s_last_screen():
    talk = Talk(LONG_NUMBER, "ussd", language="en")
    last = talk.send("0")
    reply = talk.send("many")
    assert reply.endswith("\n" + last) and render.ussd_fits(reply)
    assert reply.split("\n", 1)[0] not in last  # the reason, above the question


def test_an_answer_refused_on_the_first_screen_brings_the_screen_the_reason_speaks_of():
    talk = Talk(LONG_NUMBER, "ussd", language="en")
    reply = talk.send("many")  # on the first screen, before "0 More"
    assert reply.endswith("How many people is that?") and render.ussd_fits(reply)
    assert talk.send("3") == "Village?"
    consent = Talk(FOUR, "ussd", language="en")
    refused = consent.send("7")  # not a choice, sent from the consent's first screen
    assert refused.startswith("Reply with a number from the list.\n")
    assert refused.endswith("\n1. Yes\n2. No") and render.ussd_fits(refused)


def test_over_sms_the_long_question_is_one_reply_and_0_is_an_answer():
    talk = Talk(LONG_NUMBER, "sms", language="en")
    assert talk.reply.startswith(HOUSEHOLD["en"])
    assert talk.send("0") == "Village?"


def test_the_lead_screens_are_counted_for_questions_without_choices():
    from sms_flows import engine, prompts

    talk = Talk(LONG_NUMBER, "ussd", language="en")
    walk, event = engine.current(talk.state, talk.now)
    assert prompts.ussd_lead_screens(talk.state, walk, event) == 1
    talk.send("4")
    walk, event = engine.current(talk.state, talk.now)
    assert prompts.ussd_lead_screens(talk.state, walk, event) == 0

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

"""Prompts a person understands the first time, one closing message, consent and sensitive
forms: conversation tables (message in -> messages out) in English, Kiswahili, Spanish and
Nepali."""
from __future__ import annotations

from datetime import timedelta

import pytest
from defusedxml.ElementTree import fromstring

from sms_flows import engine, render
from tests.sms_flows.engine_support import Talk, citizen_model, model_with

# (language, [(message in, the whole reply out)]) over CITIZEN_MD with sms_progress = yes.
ASKED_WITH_HINTS = {
    "en": [
        ("yes", "1/5 When did the water point stop working?\n"
                "Reply with a date like 25/12/2024."),
        ("25/11/2026", "2/5 Who fetches water?\nReply with one or more numbers, e.g. 1 3.\n"
                       "1. Women\n2. Men\n3. Children"),
        ("1 3", "3/5 Price of 20 litres?\nReply with a number, e.g. 2.5."),
        ("12.5", "4/5 Where is it?\nReply with latitude and longitude, e.g. -1.28 36.82. "
                 "Optional: send SKIP to skip."),
        ("-1.28 36.82", "5/5 Anything else?\nOptional: send SKIP to skip."),
        ("No", "Thank you for helping your community."),
    ],
    "sw": [
        ("ndiyo", "1/5 Kituo kiliacha kufanya kazi lini?\nJibu kwa tarehe kama 25/12/2024."),
        ("25/11/2026", "2/5 Nani huchota maji?\nJibu kwa namba moja au zaidi, mfano 1 3.\n"
                       "1. Wanawake\n2. Wanaume\n3. Watoto"),
        ("1 3", "3/5 Bei ya lita 20?\nJibu kwa namba, mfano 2.5."),
        ("12,5", "4/5 Kiko wapi?\nJibu kwa latitudo na longitudo, mfano -1.28 36.82. "
                 "Si lazima: tuma RUKA kuruka."),
        ("RUKA", "5/5 Jambo lingine?\nSi lazima: tuma RUKA kuruka."),
        ("RUKA", "Asante kwa kusaidia jamii yako."),
    ],
    "es": [
        ("sí", "1/5 ¿Cuándo dejó de funcionar?\nResponda con una fecha como 25/12/2024."),
        # UCS-2 (ñ, é): the full hint would cost a third part, so the short one is said.
        ("25/11/2026", "2/5 ¿Quién busca el agua?\nUno o más, p. ej. 1 3\n"
                       "1. Mujeres\n2. Hombres\n3. Niños"),
        ("1 3", "3/5 ¿Precio de 20 litros?\nResponda con un número, p. ej. 2,5."),
        ("12,5", "4/5 ¿Dónde está?\nlat lon, p. ej. -34.6 -58.4 (SALTAR para saltar)"),
        ("-34.6 -58.4", "5/5 ¿Algo más?\nOpcional: envíe SALTAR para saltarla."),
        ("SALTAR", "Gracias por ayudar a su comunidad."),
    ],
    "ne": [
        # Dates year first, as written in Nepal.
        ("हो", "1/5 धारा कहिले बिग्रियो?\nमिति यसरी पठाउनुहोस्: 2024-12-25।"),
        ("2026/11/25", "2/5 पानी कसले ल्याउँछ?\nएक वा बढी, जस्तै 1 3\n"
                       "1. महिला\n2. पुरुष\n3. बालबालिका"),
        ("१ ३", "3/5 २० लिटरको मूल्य?\nसङ्ख्या पठाउनुहोस्, जस्तै 2.5।"),
        ("१२.५", "4/5 यो कहाँ छ?\nअक्षांश देशान्तर, जस्तै 27.7 85.3 (छोड्न छोड)"),
        ("छोड", "5/5 अरू केही?\nऐच्छिक: छोड्न छोड पठाउनुहोस्।"),
        ("छोड", "समुदायलाई सहयोग गर्नुभएकोमा धन्यवाद।"),
    ],
}


@pytest.mark.parametrize("lang", ["en", "sw", "es", "ne"])
def test_each_question_says_how_to_answer_when_it_is_asked(lang):
    talk = Talk(citizen_model(progress=True), language=lang)
    assert "1/" not in talk.reply  # consent questions are not counted
    for inbound, expected in ASKED_WITH_HINTS[lang]:
        assert talk.send(inbound) == expected
        assert all(render.segments(r).count <= 2 for r in talk.replies)
    assert talk.state.status == "completed"
    root = fromstring(talk.state.instance_xml.encode())
    assert root.find("main/broke").text == "2026-11-25"
    assert root.find("main/who").text == "women children"
    assert root.find("main/price").text == "12.5"


def test_a_hint_is_said_once_not_again_after_the_same_reason():
    talk = Talk(citizen_model(), language="en")
    talk.send("yes")
    assert talk.send("next tuesday") == ("Reply with a date like 25/12/2024.\n"
                                         "When did the water point stop working?")


def test_the_optional_hint_uses_the_projects_own_skip_word():
    talk = Talk(citizen_model(consent=False), commands={"skip": ["PASS"]})
    for text in ("yes", "25/11/2026", "1", "3"):
        talk.send(text)
    assert talk.reply.endswith("Optional: send PASS to skip.")


def test_when_the_full_hint_costs_another_part_the_short_one_is_said():
    talk = Talk(citizen_model(consent=False), settings={"segments": 1})
    for text in ("yes", "25/11/2026", "1"):
        talk.send(text)
    assert talk.send("3") == "Where is it?\nReply with latitude and longitude, e.g. -1.28 " \
                             "36.82. Optional: send SKIP to skip."  # 1 part either way
    label = "Where is the water point? Stand next to it if you can, so that our team can " \
            "find it"
    talk = Talk(_one_question(label, "geopoint", "no"))
    assert talk.reply == f"{label}?\nlat lon, e.g. -1.28 36.82 (SKIP to skip)"
    assert render.segments(talk.reply).count == 1


def _one_question(label: str, kind: str, required: str):
    from tests.sms_flows.engine_support import md_model

    return md_model(f"""
| survey | | | | |
| | type | name | label | required |
| | {kind} | q | {label}? | {required} |
| choices | | | |
| | list_name | name | label |
| | s | a | Vaccination |
| | s | b | Antenatal care |
""")


def test_the_type_hint_is_kept_though_it_costs_a_part_the_optional_one_is_not():
    label = "Which of these services did the health post offer on the day of your visit " \
            "last week, as far as you saw it yourself"
    talk = Talk(_one_question(label, "select_multiple s", "no"))
    assert talk.reply == f"{label}?\nOne or more, e.g. 1 3\n1. Vaccination\n2. Antenatal care"
    assert render.segments(talk.reply).count == 2
    assert render.segments(f"{label}?\n1. Vaccination\n2. Antenatal care").count == 1


def test_an_optional_hint_alone_is_said_when_it_costs_one_part_more_at_most():
    label = "Is there anything else about the health post, its staff, its medicines or the " \
            "way you were received that you would like the district to know about"
    talk = Talk(_one_question(label, "text", "no"))
    assert talk.reply == f"{label}?\n(SKIP to skip)"
    assert render.segments(f"{label}?").count == 1 and render.segments(talk.reply).count == 2


@pytest.mark.parametrize(("lang", "closing"), [
    ("en", "Thank you! Your answers have been saved."),
    ("sw", "Asante! Majibu yako yamehifadhiwa."),
    ("es", "¡Gracias! Sus respuestas se guardaron."),
    ("ne", "धन्यवाद! तपाईंका उत्तरहरू सुरक्षित भए।"),
])
def test_one_closing_message_ours_only_when_the_form_has_no_last_note(lang, closing):
    from tests.sms_flows.engine_support import LANGUAGES, markdown, md_model

    form = md_model(markdown({"survey": [
        ["type", "name", *(f"label::{name}" for name in LANGUAGES)],
        ["integer", "n", "How many?", "Ngapi?", "¿Cuántos?", "कति?"]]}))
    talk = Talk(form, language=lang)
    assert talk.send("3") == closing
    with_note = Talk(citizen_model(consent=False), language=lang)
    for text in ("1", "25/11/2026", "1", "3", "SKIP"):
        with_note.send(text)
    assert with_note.send("SKIP") == NOTE[lang]  # the form's own last note, and nothing else
    assert with_note.state.status == "completed"


NOTE = {"en": "Thank you for helping your community.", "sw": "Asante kwa kusaidia jamii yako.",
        "es": "Gracias por ayudar a su comunidad.",
        "ne": "समुदायलाई सहयोग गर्नुभएकोमा धन्यवाद।"}


DECLINED = {
    "en": "Thank you. We will stop here; nothing you sent has been kept.",
    "sw": "Asante. Tunaishia hapa; hakuna ulichotuma kilichohifadhiwa.",
    "es": "Gracias. Terminamos aquí; no se guardó nada de lo que envió.",
    "ne": "धन्यवाद। हामी यहीँ रोकिन्छौं; तपाईंले पठाएको केही पनि राखिएको छैन।",
}


@pytest.mark.parametrize("lang", ["en", "sw", "es", "ne"])
@pytest.mark.parametrize("no", ["2", "no"])
def test_declining_consent_ends_politely_and_keeps_nothing(lang, no):
    talk = Talk(citizen_model(), language=lang)
    assert talk.send(no if no == "2" else {"en": "No", "sw": "Hapana", "es": "no",
                                           "ne": "होइन"}[lang]) == DECLINED[lang]
    state = talk.state
    assert state.status == "declined"
    assert state.answers == {} and state.instance_xml is None and state.at is None
    assert talk.send("hello") == "" and talk.state.status == "declined"
    assert engine.resume(talk.state, talk.now) == (talk.state, [])
    assert engine.tick(talk.state, talk.now + timedelta(days=2)) == (talk.state, [])


def test_water_point_declined_by_its_consent_setting():
    talk = Talk(model_with("water_point", consent="consent"), language="sw")
    assert talk.send("Hapana") == DECLINED["sw"]
    assert talk.state.status == "declined"


def test_skipping_an_optional_consent_question_declines():
    from forms.settings import Consent, ConversationSettings
    from tests.sms_flows.engine_support import md_model

    form = md_model("""
| survey | | | | |
| | type | name | label | required |
| | select_one yn | ok | May we ask? | no |
| | text | t | Tell us | yes |
| choices | | | |
| | list_name | name | label |
| | yn | yes | Yes |
| | yn | no | No |
""").with_settings(ConversationSettings(consent=(Consent("/data/ok", "yes"),)))
    talk = Talk(form)
    assert talk.send("SKIP") == DECLINED["en"]


def test_a_compact_message_that_declines_consent_is_not_kept():
    talk = Talk(model_with("water_point", consent="consent"), text="MAJI 2")
    assert talk.reply == DECLINED["en"]
    assert talk.state.status == "declined" and talk.state.instance_xml is None


def test_agreeing_goes_on_and_the_consent_answer_is_kept():
    talk = Talk(model_with("water_point", consent="consent"))
    assert "Which county" in talk.send("1")
    assert talk.state.answers["/data/consent"] == "yes"


def test_a_sensitive_form_gets_no_reminder_but_still_expires():
    talk = Talk(citizen_model(sensitive=True))
    talk.send("yes")
    state, replies = engine.tick(talk.state, talk.now + timedelta(hours=2))
    assert replies == [] and state.reminded and state.status == "active"
    state, replies = engine.tick(state, talk.now + timedelta(days=2))
    assert replies == [] and state.status == "expired"
    plain = Talk(citizen_model())
    plain.send("yes")
    _, replies = engine.tick(plain.state, plain.now + timedelta(hours=2))
    assert replies[0].startswith("Reminder: your survey is waiting for you.")


@pytest.mark.parametrize(("lang", "replies"), [
    ("en", ["2"]), ("en", ["1", "2"]), ("sw", ["hapana"]), ("sw", ["ndiyo", "Hapana"]),
])
def test_sdg5_with_its_consent_and_safety_check_as_settings_keeps_nothing_on_a_no(
        lang, replies):
    form = model_with("sdg5_safety", consent="consent safe_now", sensitive="yes")
    talk = Talk(form, text="SAFE", language=lang)
    for text in replies:
        talk.send(text)
    assert talk.reply == DECLINED[lang]
    assert talk.state.status == "declined" and talk.state.answers == {}
    assert talk.state.instance_xml is None


def test_sdg5_on_two_yeses_asks_the_survey_and_is_never_reminded():
    form = model_with("sdg5_safety", consent="consent safe_now", sensitive="yes")
    talk = Talk(form, text="SAFE")
    talk.send("1")
    assert talk.send("1") == "How old are you?"
    assert engine.tick(talk.state, talk.now + timedelta(hours=3))[1] == []

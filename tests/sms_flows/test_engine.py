"""Whole conversations over the fixture forms: (inbound, expected reply fragments) tables."""
from __future__ import annotations

import time
from datetime import timedelta

import pytest
from defusedxml.ElementTree import fromstring

from forms.instance import read_instance
from sms_flows import engine
from tests.sms_flows.engine_support import T0, Talk, model


def test_water_point_in_kiswahili_with_skip_logic_cascade_and_constraints():
    talk = Talk("water_point", text="MAJI", language="sw")
    assert talk.reply.startswith("Je, unakubali kujibu maswali 10")
    assert "1. Ndiyo\n2. Hapana" in talk.reply
    talk.play([
        ("ndiyo", ["Uko kaunti gani?", "3. Nairobi"]),
        ("3", ["Wadi gani?", "1. Kibra", "3. Kayole Kaskazini"]),
        ("kibra", ["Kaya yako hupata maji", "7. Nyingine"]),
        ("7", ["Chanzo kingine gani?"]),
        ("Kisima cha jirani", ["kinafanya kazi leo?"]),
        ("2", ["Kimeharibika kwa siku ngapi?"]),
        ("400", ["Andika idadi ya siku kati ya 0 na 365", "Kimeharibika kwa siku ngapi?"]),
        ("tatu", ["Jibu kwa namba kamili.", "Kimeharibika"]),
        ("3", ["dakika ngapi?"]),
        ("45", ["Nani kwa kawaida huchota maji?\nJibu kwa namba moja au zaidi, mfano 1 3."]),
        ("1,3", ["Takriban kaya ngapi", "Si lazima: tuma RUKA kuruka."]),
        ("RUKA", ["Mahali kilipo kituo cha maji", "latitudo na longitudo, mfano -1.28 36.82"]),
        ("-0,09 34,77", ["Kuna jambo lingine"]),
    ])
    assert talk.send("Hakuna") == "Asante. Majibu yako yanasaidia kuwajibisha huduma za maji."
    assert talk.state.status == "completed"
    root = fromstring(talk.state.instance_xml.encode())
    assert root.get("id") == "water_point" and root.get("version") == "2026112601"
    wp = root.find("wp")
    assert [wp.find(n).text for n in ("county", "ward", "water_source", "source_other",
                                      "days_broken", "who_fetches", "location")] == \
        ["nairobi", "kibra", "other", "Kisima cha jirani", "3", "women girls",
         "-0.09 34.77 0 0"]
    assert wp.find("price") is None  # not relevant: left out, as Collect does
    assert (wp.find("households").text or "") == ""
    info = read_instance(talk.state.instance_xml.encode())
    assert info.instance_id.startswith("uuid:") and len(info.instance_id) == 41
    assert root.find("start").text == "2026-11-26T09:00:00.000+00:00"
    assert root.find("end").text.startswith("2026-11-26T09:0")


def test_without_a_consent_setting_a_no_is_an_answer_and_the_forms_note_closes():
    talk = Talk("water_point")
    assert talk.send("2") == "Thank you. Your answers help hold water services to account."
    assert talk.state.status == "completed"
    assert fromstring(talk.state.instance_xml.encode()).find("wp") is None


SDG5_CONSENT = ("This short survey asks about safety and equality for women and girls (SDG 5). "
                "Your answers are confidential and only ever shown as totals. You can stop at "
                "any time by sending STOP. Do you agree to take part?\n1. Yes\n2. No")
SDG5_SAFE_NOW = ("Is it safe for you to answer now? If someone else may read your phone, answer "
                 "No and we will not ask anything.\n1. Yes\n2. No")
SDG5_SENSITIVE = ("How old are you", "partner hurt you", "What kind?", "report it",
                  "mobile phone", "household income", "children", "tell us in a few words")


def test_sdg5_opens_with_consent_then_the_safety_check_then_the_survey():
    talk = Talk("sdg5_safety", text="SAFE")
    assert talk.reply == SDG5_CONSENT
    assert talk.send("1") == SDG5_SAFE_NOW
    assert talk.send("1") == "How old are you?"
    assert talk.state.answers["/data/consent"] == "yes"
    assert talk.state.answers["/data/safe_now"] == "yes"


@pytest.mark.parametrize(("language", "replies", "closing", "kept"), [
    ("en", ["2"], "Thank you. If you are in danger call 1195", ["consent"]),
    ("en", ["1", "2"], "Thank you. If you are in danger call 1195", ["consent", "safe_now"]),
    ("sw", ["hapana"], "Asante. Ukiwa hatarini piga 1195", ["consent"]),
    ("sw", ["ndiyo", "2"], "Asante. Ukiwa hatarini piga 1195", ["consent", "safe_now"]),
])
def test_sdg5_declining_consent_or_not_safe_ends_without_any_sensitive_question(
        language, replies, closing, kept):
    talk = Talk("sdg5_safety", text="SAFE", language=language)
    sent = [talk.reply] + [talk.send(text) for text in replies]
    assert talk.state.status == "completed"
    assert closing in sent[-1]
    asked = "\n".join(sent)
    assert not any(question in asked for question in SDG5_SENSITIVE)
    root = fromstring(talk.state.instance_xml.encode())
    assert [c.tag for c in root] == [*kept, "thanks", "meta"]
    assert [root.findtext(n) for n in kept] == ["yes"] * (len(kept) - 1) + ["no"]
    assert talk.send("34") == ""  # a late reply to the survey is not taken as an answer
    assert not any(k.startswith("/data/survey") for k in talk.state.answers)


def test_sdg5_stop_at_the_consent_question_opts_out_before_anything_is_asked():
    talk = Talk("sdg5_safety", text="SAFE")
    assert "Send START to start again" in talk.send("STOP")
    assert talk.state.status == "opted-out" and talk.state.instance_xml is None


def test_sdg5_repeat_count_asks_each_child_and_refuses_none_with_others():
    talk = Talk("sdg5_safety")
    talk.play([
        ("maybe", ["Reply with a number from the list.", "Do you agree to take part?"]),
        ("1", ["Is it safe for you to answer now?"]),
        ("1", ["How old are you?"]),
        ("14", ["This survey is for people aged 15 and over"]),
        ("34", ["Are you..."]), ("1", ["county"]), ("1", ["safe walking"]),
        ("1", ["partner hurt you"]),
        ("yes", ["What kind?"]),
        ("1 5", ["'None' cannot be chosen with other answers", "What kind?"]),
        ("1 3", ["Did you report it"]),
        ("2", ["Why not?"]),
        ("skip", ["own a mobile phone"]),
        ("1", ["deciding how household income"]), ("1", ["How many children"]),
        ("2", ["Age of child 1?"]),
        ("5", ["Age must be 6 to 17"]),
        ("9", ["Is child 1 a girl or a boy?"]), ("1", ["Does child 1 go to school?"]),
        ("1", ["Age of child 2?"]), ("12", ["Is child 2"]), ("2", ["Does child 2"]),
        ("2", ["tell us in a few words"]),
        ("BACK", ["Does child 2 go to school?"]),
        ("1", ["tell us in a few words"]),
        ("Niko salama sasa", ["If you are in danger call 1195"]),
    ])
    root = fromstring(talk.state.instance_xml.encode())
    assert root.get("version") == "4"
    assert (root.find("consent").text, root.find("safe_now").text) == ("yes", "yes")
    children = root.findall("survey/child")
    assert [(c.find("child_pos").text, c.find("child_age").text, c.find("in_school").text)
            for c in children] == [("1", "9", "yes"), ("2", "12", "yes")]
    assert root.find("survey/violence_type").text == "physical emotional"
    assert root.find("violence_type") is None and root.find("child") is None


def test_health_post_in_nepali_with_dates_devanagari_digits_and_a_calculated_note():
    talk = Talk("health_post", language="ne")
    assert talk.reply == "भ्रमण मिति\nमिति यसरी पठाउनुहोस्: 2024-12-25।"
    talk.play([
        ("27/11/2026", ["मिति भविष्यको हुन सक्दैन"]),
        ("२५/११/२०२६", ["जिल्ला", "2. गोरखा"]),
        ("गोरखा", ["स्वास्थ्य चौकीको नाम"]),
        ("ab", ["कम्तीमा ३ अक्षर लेख्नुहोस्"]),
        ("Barpak HP", ["खुला थियो?"]), ("हो", ["डाक्टर"]), ("२", ["नर्स"]), ("3", ["औषधि"]),
        ("1 5", ["कति टाढाबाट"]), ("4,5", ["भूकम्प"]), ("2", ["सुत्केरी"]), ("1", ["अन्य अवलोकन"]),
    ])
    assert talk.send("छोड") == "उपस्थित कर्मचारी: 5। धन्यवाद।"  # the form's note, alone
    root = fromstring(talk.state.instance_xml.encode())
    assert [root.find(n).text for n in ("visit_date", "district", "staff_total", "stockouts",
                                        "distance_km")] == \
        ["2026-11-25", "gorkha", "5", "ors paracetamol", "4.5"]


def test_escuela_in_spanish_skips_the_optional_photo_and_checks_girls_against_pupils():
    talk = Talk("escuela", text="ESCUELA")
    assert talk.reply.startswith("Provincia\n1. Buenos Aires")
    talk.play([
        ("salta", ["Nombre de la escuela"]),
        ("Escuela 12 de Octubre", ["¿Cuántos alumnos"]),
        ("0", ["Entre 1 y 4999"]),
        ("120", ["¿Cuántas de ellas son niñas?"]),
        ("121", ["No puede ser mayor que el total de alumnos"]),
        ("60", ["¿Qué servicios"]),
        ("1 7", ["'Ninguno' no puede ir con otras respuestas"]),
        ("1 3", ["comedor"]),
        ("Sí", ["Ubicación"]),  # the photo is skipped: it cannot be sent by SMS
        ("-24,78 -65,41", ["principal problema"]),
        ("Falta agua", ["¡Gracias!"]),
    ])
    root = fromstring(talk.state.instance_xml.encode())
    assert (root.find("foto").text or "") == ""
    assert root.find("escuela").text == "Escuela 12 de Octubre"
    assert root.find("ubicacion").text == "-24.78 -65.41 0 0"


def test_metadata_fields_are_filled_like_collect_fills_them():
    form = _meta_form()
    talk = Talk(form, phone="hash:9f2c")
    talk.play([("Hi", ["Thank you! Your answers have been saved."])])
    root = fromstring(talk.state.instance_xml.encode())
    assert root.find("today").text == "2026-11-26"
    assert root.find("device").text == "datashift:sms"
    assert root.find("phone").text == "hash:9f2c"
    assert root.find("starttime").text == "2026-11-26T09:00:00.000+00:00"


def _meta_form():
    from tests.sms_flows.engine_support import md_model

    return md_model("""
| survey |             |           |       |
|        | type        | name      | label |
|        | start       | starttime |       |
|        | end         | endtime   |       |
|        | today       | today     |       |
|        | deviceid    | device    |       |
|        | phonenumber | phone     |       |
|        | text        | hello     | Hello |
""")


def test_each_step_takes_well_under_five_milliseconds():
    m = model("sdg5_safety")
    talk = Talk(m)
    answers = ["1", "1", "34", "1", "1", "1", "1", "1 3", "2", "1", "1", "1", "3", "9", "1",
               "1", "12", "2", "2", "8", "1", "1"]
    timings = []
    for text in answers:
        data = talk.state.to_json()
        started = time.perf_counter()
        state = engine.load(data, m)
        state, _ = engine.step(state, text, T0 + timedelta(minutes=1))
        timings.append(time.perf_counter() - started)
        talk.state = state
    assert talk.state.at.startswith("/data/survey/")  # the steps timed were survey answers
    timings.sort()
    median = timings[len(timings) // 2]
    assert median < 0.005, f"median step {median * 1000:.2f} ms"


NESTED_MD = """
| survey | | | | | | |
| | type | name | label | appearance | default | calculation |
| | begin group | hh | Household | field-list | | |
| | date | when | When? | | today() | |
| | select_one c | col | Colour? | | | |
| | end group | | | | | |
| | calculate | colname | | | | jr:choice-name(${col}, '${col}') |
| | note | n1 | You chose ${colname} | | | |
| | begin repeat | person | Person | | | |
| | text | pname | Name | | | |
| | begin repeat | visit | Visit of ${pname} | | | |
| | integer | vday | Day for ${pname} | | | |
| | end repeat | | | | | |
| | end repeat | | | | | |
| choices | | | | | | |
| | list_name | name | label | | | |
| | c | r | Red | | | |
| | c | g | Green | | | |
"""


def test_field_list_defaults_choice_name_notes_and_nested_repeats_with_add_another():
    from tests.sms_flows.engine_support import md_model

    talk = Talk(md_model(NESTED_MD))
    # A field-list group is asked one question at a time.
    assert talk.reply == "When?\nReply with a date like 25/12/2024. Optional: send SKIP to skip."
    assert talk.state.answers["/data/hh/when"] == "2026-11-26"  # default today()
    talk.play([
        ("25/11/2026", ["Colour?\nOptional: send SKIP to skip.\n1. Red\n2. Green"]),
        ("2", ["You chose Green", 'Add a "Person"?\n1. Yes\n2. No']),
        ("1", ["Name"]), ("Ann", ['Add a "Visit of Ann"?']), ("yes", ["Day for Ann"]),
        ("3", ['Add another "Visit of Ann"?']), ("2", ['Add another "Person"?']),
        ("1", ["Name"]), ("Bob", ['Add a "Visit of Bob"?']), ("2", ['Add another "Person"?']),
        ("BACK", ['Add a "Visit of Bob"?']), ("SKIP", ['Add another "Person"?']),
        ("no", ["Thank you! Your answers have been saved."]),
    ])
    root = fromstring(talk.state.instance_xml.encode())
    people = root.findall("person")
    assert [p.find("pname").text for p in people] == ["Ann", "Bob"]
    assert [len(p.findall("visit")) for p in people] == [1, 0]
    assert people[0].find("visit/vday").text == "3"
    assert root.find("colname").text == "Green" and root.find("hh/when").text == "2026-11-25"

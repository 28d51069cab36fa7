"""The engine on WhatsApp: longer messages, emoji kept whole, photo questions answered with a
photo, keycap digits, and no reminder outside the 24-hour session."""
from __future__ import annotations

from datetime import timedelta

from defusedxml.ElementTree import fromstring

from sms_flows import engine, render
from sms_flows.types import InboundMedia
from tests.sms_flows.engine_support import Talk, citizen_model, md_model

PHOTO = InboundMedia(
    "https://api.twilio.com/2010-04-01/Accounts/AC0123/Messages/MM0123/Media/ME0a1b2c",
    "image/jpeg")


def to_the_photo(talk: Talk) -> str:
    for text in ("1", "Escuela 5", "100", "40", "1 3"):
        talk.send(text)
    return talk.send("Sí")


def test_a_photo_question_is_asked_on_whatsapp_and_answered_with_a_photo():
    talk = Talk("escuela", "whatsapp")
    assert to_the_photo(talk) == ("Foto de la fachada (opcional)\n"
                                  "Envíe una foto. Opcional: envíe SALTAR para saltarla.")
    assert talk.send("no tengo cámara ahora") == "Envíe una foto.\nFoto de la fachada (opcional)"
    talk.now += timedelta(seconds=20)
    talk.state, talk.replies = engine.step(talk.state, "", talk.now, media=[PHOTO])
    assert talk.reply.startswith("Ubicación")
    assert talk.state.media == {"ME0a1b2c.jpg": {"url": PHOTO.url, "contentType": "image/jpeg"}}
    for text in ("-24,78 -65,41", "Falta agua"):
        talk.send(text)
    root = fromstring(talk.state.instance_xml.encode())
    assert root.find("foto").text == "ME0a1b2c.jpg"


def test_a_voice_note_does_not_answer_a_photo_question():
    talk = Talk("escuela", "whatsapp")
    to_the_photo(talk)
    note = InboundMedia("https://api.twilio.com/x/Media/ME99", "audio/ogg")
    talk.state, talk.replies = engine.step(talk.state, "", talk.now, media=[note])
    assert talk.reply.startswith("Envíe una foto.") and talk.state.media == {}


def test_the_photo_question_is_passed_over_by_sms_and_skippable_on_whatsapp():
    sms = Talk("escuela")
    assert to_the_photo(sms).startswith("Ubicación")
    whatsapp = Talk("escuela", "whatsapp")
    to_the_photo(whatsapp)
    assert whatsapp.send("SALTAR").startswith("Ubicación")


def test_a_long_message_is_one_whatsapp_message_and_never_cuts_an_emoji():
    story = "Maji safi 💧👩🏽‍👧 " * 60  # 1,200+ characters: many SMS, one WhatsApp message
    form = md_model(f"""
| survey | | | |
| | type | name | label |
| | text | a | {story.strip()} |
| | text | b | {(story * 2).strip()} |
""")
    talk = Talk(form, "whatsapp")
    assert talk.replies == [story.strip() + "\nOptional: send SKIP to skip."]
    talk.send("1️⃣")
    assert len(talk.replies) == 2 and all(render.whatsapp_fits(r) for r in talk.replies)
    assert "".join(talk.replies).replace("\n", " ").count("👩🏽‍👧") == 120
    assert talk.state.answers["/data/a"] == "1"  # keycap digits are digits


def test_keycaps_and_a_thumbs_up_answer_choices():
    talk = Talk(citizen_model(), "whatsapp")
    assert talk.send("👍🏾").startswith("When did")
    talk.send("25/11/2026")
    talk.send("1️⃣ 3️⃣")
    assert talk.state.answers["/data/main/who"] == "women children"


def test_no_reminder_once_the_24_hour_session_has_closed():
    talk = Talk(citizen_model(), "whatsapp", settings={"remindAfter": 3600})
    talk.send("1")
    _, replies = engine.tick(talk.state, talk.now + timedelta(hours=2))
    assert replies and replies[0].startswith("Reminder")
    late = Talk(citizen_model(), "whatsapp")
    late.send("1")
    state, replies = engine.tick(late.state, late.now + timedelta(hours=24))
    assert replies == [] and state.reminded
    assert engine.tick(state, late.now + timedelta(days=3))[0].status == "expired"

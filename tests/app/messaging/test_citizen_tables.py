"""Issue 15's conversation tables (message in -> messages out) in English, Kiswahili, Spanish
and Nepali through the providers: Africa's Talking SMS and USSD callbacks and Twilio's signed
WhatsApp webhooks in their real shapes, every reply sent by the providers' SDKs and caught at
the HTTP layer, on SQLite and PostgreSQL.

The form is the four-language citizen survey of tests/sms_flows (consent first, a date, a
select_multiple, a decimal, an optional geopoint and text, its own closing note), published
with `consent = consent`, `sms_progress = yes` and the keyword RAIA, and again as a sensitive
form (`sensitive = yes`, keyword SALAMA)."""
from __future__ import annotations

import functools
import itertools
from datetime import UTC, datetime
from urllib.parse import parse_qs

import pytest
import responses
from sqlalchemy import select

from app.extensions import db
from app.models import Conversation, ErasureRequest, Submission
from tests.app.messaging.helpers import at_accepts, path, twilio_whatsapp_in, ussd_hop
from tests.forms.xlsform_builder import workbook
from tests.sms_flows.engine_support import CITIZEN_SHEETS, LANGUAGES

LANGS = ["en", "sw", "es", "ne"]
PHONE = "+254711000555"
SID, TOKEN, SENDER = "AC" + "5" * 32, "tw-token-citizens", "+14155238886"
TWILIO_SEND = f"https://api.twilio.com/2010-04-01/Accounts/{SID}/Messages.json"
ids = itertools.count(1)


@functools.cache
def _compiled(form_id: str = "citizen", keyword: str = "RAIA", sensitive: str = "no"):
    sheets = dict(CITIZEN_SHEETS)
    sheets["settings"] = [["form_id", "default_language", "form_title", "sms_keyword",
                           "consent", "sms_progress", "sensitive"],
                          [form_id, "English (en)", "Water point check", keyword, "consent",
                           "yes", sensitive]]
    return _compile(sheets, "citizen.xlsx")


def _compile(sheets: dict[str, list[list[str]]], filename: str):
    from forms.xlsform import compile_upload

    return compile_upload(
        workbook(sheets), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        filename, validate=False, ignore_warnings=True)


@pytest.fixture
def citizen(make_project, make_user, login, app):
    from app.services.forms import create_form

    project = make_project("Citizens CSO")
    create_form(project, _compiled(), None, publish=True)
    db.session.commit()
    make_user("citizens@example.org", roles={project: "manager"})
    return project, login("citizens@example.org")


def channel(client, citizen, provider: str, kind: str, address: str, **extra) -> dict:
    project, headers = citizen
    credentials = {"africastalking": {"username": "datashift", "apiKey": "atsk_secret"},
                   "twilio": {"accountSid": SID, "authToken": TOKEN}}[provider]
    response = client.post(f"/v1/projects/{project}/channels", headers=headers, json={
        "provider": provider, "kind": kind, "address": address, "credentials": credentials,
        **extra})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def sms(client, at: dict, text: str, phone: str = PHONE) -> str:
    """One text as Africa's Talking posts it; -> what the SDK sent back to that number."""
    before = len(responses.calls)
    response = client.post(path(at["inbound"]), data={
        "linkId": "1", "text": text, "to": at["address"], "id": f"in-{next(ids)}",
        "date": "2026-12-07 10:00:00", "from": phone, "networkCode": "63902"})
    assert response.status_code == 200
    sent = [parse_qs(c.request.body) for c in responses.calls[before:]]
    assert all(s["to"] == [phone] for s in sent)
    return "\n".join(s["message"][0] for s in sent)


def whatsapp(client, wa: dict, text: str, phone: str = PHONE,
             media_url: str | None = None) -> str:
    """One WhatsApp message as Twilio posts it (with a photo when `media_url`), signed; ->
    what the SDK sent back."""
    sent = twilio_whatsapp_in(client, wa, text, number=next(ids), phone=phone, sender=SENDER,
                              account_sid=SID, token=TOKEN, profile="Raia",
                              send_url=TWILIO_SEND, media_url=media_url)
    assert all(s["To"] == [f"whatsapp:{phone}"] for s in sent)
    return "\n".join(s["Body"][0] for s in sent)


def twilio_accepts() -> None:
    responses.add_callback(responses.POST, TWILIO_SEND, callback=lambda request: (
        201, {"Content-Type": "application/json"},
        f'{{"sid": "SM{next(ids):032d}", "status": "queued"}}'))


# The words a person types, in each language.
_WORD_FOR = ["language", "yes", "no", "date", "who", "price", "skip", "mydata", "delete"]
WORDS = {lang: dict(zip(_WORD_FOR, words, strict=True)) for lang, words in {
    "en": ["LANGUAGE 1", "yes", "No", "25/11/2026", "1 3", "12.5", "SKIP", "MYDATA", "DELETE"],
    "sw": ["LUGHA 2", "ndiyo", "Hapana", "25/11/2026", "1 3", "12,5", "RUKA", "TAARIFA ZANGU",
           "FUTA"],
    "es": ["IDIOMA 3", "sí", "no", "25/11/2026", "1 3", "12,5", "SALTAR", "MIS DATOS", "BORRAR"],
    "ne": ["भाषा 4", "हो", "होइन", "2026/11/25", "१ ३", "१२.५", "छोड", "मेरो विवरण", "मेटाउ"],
}.items()}


def sms_script(lang: str) -> list[str]:
    w = WORDS[lang]
    return ["RAIA", w["language"], w["no"], "hello", "RAIA", w["yes"], w["date"], w["who"],
            w["price"], w["skip"], w["skip"], w["mydata"], w["delete"], "2", w["delete"], "1"]


def whatsapp_script(lang: str) -> list[str]:
    w = WORDS[lang]
    return ["RAIA", w["language"], w["yes"], w["date"], w["who"], w["price"], "-1.28 36.82",
            w["skip"], w["mydata"]]


# USSD: (session, the whole history Africa's Talking sends) per hop.
def ussd_script(lang: str) -> list[tuple[str, list[str]]]:
    w = WORDS[lang]
    return [("A", []), ("A", ["1"]), ("A", ["1", "1"]),  # the network drops the session here
            ("B", []), ("B", ["1"]), ("B", ["1", w["date"]]),  # dropped again
            ("C", []), ("C", ["2"]), ("C", ["2", w["mydata"]])]


# What the survey says in each language. Questions are whole (as WhatsApp and USSD show
# them); `q2_sms`/`q4_sms` are the shorter hints SMS sends where a whole one would cost a part.
SAYS: dict[str, dict[str, str]] = {
    "en": {
        "consent": "Do you agree to answer 5 questions?\n"
                   "1. Yes\n"
                   "2. No",
        "declined": "Thank you. We will stop here; nothing you sent has been kept.",
        "nudge": "Send RAIA to start a survey.",
        "q1": "1/5 When did the water point stop working?\n"
              "Reply with a date like 25/12/2024.",
        "q2": "2/5 Who fetches water?\n"
              "Reply with one or more numbers, e.g. 1 3.\n"
              "1. Women\n"
              "2. Men\n"
              "3. Children",
        "q3": "3/5 Price of 20 litres?\n"
              "Reply with a number, e.g. 2.5.",
        "q4": "4/5 Where is it?\n"
              "Reply with latitude and longitude, e.g. -1.28 36.82. Optional: send SKIP to skip.",
        "q5": "5/5 Anything else?\n"
              "Optional: send SKIP to skip.",
        "closing": "Thank you for helping your community.",
        "mydata": "From this number we hold 1 survey(s) and the messages about them:\n"
                  "- Water point check, {today}, {channel}\n"
                  "Send DELETE to erase them.",
        "erase": "Erase the 1 survey(s) sent from this number, their messages and the number "
                 "itself? This cannot be undone.\n"
                 "1. Erase\n"
                 "2. Keep",
        "kept": "Nothing was erased.",
        "erased": "Done: everything sent from this number, and the number, has been erased.",
        "menu": "Choose a survey:\n"
                "1. Water point check\n"
                "2. My data\n"
                "3. Delete my data",
        "in_progress": "You have a survey in progress.\n"
                       "1. Continue\n"
                       "2. Start again",
        "restart": "Starting again.",
        "unfinished": "From this number we hold 2 survey(s) and the messages about them:\n"
                      "- 2 unfinished survey(s) (your answers so far)\n"
                      "Send DELETE to erase them.",
    },
    "sw": {
        "consent": "Je, unakubali kujibu maswali 5?\n"
                   "1. Ndiyo\n"
                   "2. Hapana",
        "declined": "Asante. Tunaishia hapa; hakuna ulichotuma kilichohifadhiwa.",
        "nudge": "Tuma RAIA kuanza utafiti.",
        "q1": "1/5 Kituo kiliacha kufanya kazi lini?\n"
              "Jibu kwa tarehe kama 25/12/2024.",
        "q2": "2/5 Nani huchota maji?\n"
              "Jibu kwa namba moja au zaidi, mfano 1 3.\n"
              "1. Wanawake\n"
              "2. Wanaume\n"
              "3. Watoto",
        "q3": "3/5 Bei ya lita 20?\n"
              "Jibu kwa namba, mfano 2.5.",
        "q4": "4/5 Kiko wapi?\n"
              "Jibu kwa latitudo na longitudo, mfano -1.28 36.82. Si lazima: tuma RUKA kuruka.",
        "q5": "5/5 Jambo lingine?\n"
              "Si lazima: tuma RUKA kuruka.",
        "closing": "Asante kwa kusaidia jamii yako.",
        "mydata": "Kutoka namba hii tuna tafiti 1 na jumbe zake:\n"
                  "- Water point check, {today}, {channel}\n"
                  "Tuma FUTA kuzifuta.",
        "erase": "Ufute tafiti 1 zilizotumwa kutoka namba hii, jumbe zake na namba yenyewe? "
                 "Haiwezi kurudishwa.\n"
                 "1. Futa\n"
                 "2. Hifadhi",
        "kept": "Hakuna kilichofutwa.",
        "erased": "Imefanyika: kila kitu kilichotumwa kutoka namba hii, na namba yenyewe, "
                  "kimefutwa.",
        "menu": "Chagua utafiti:\n"
                "1. Water point check\n"
                "2. Taarifa zangu\n"
                "3. Futa taarifa zangu",
        "in_progress": "Una utafiti unaoendelea.\n"
                       "1. Endelea\n"
                       "2. Anza upya",
        "restart": "Tunaanza upya.",
        "unfinished": "Kutoka namba hii tuna tafiti 2 na jumbe zake:\n"
                      "- tafiti 2 ambazo hazijakamilika (majibu yako hadi sasa)\n"
                      "Tuma FUTA kuzifuta.",
    },
    "es": {
        "consent": "¿Acepta responder 5 preguntas?\n"
                   "1. Sí\n"
                   "2. No",
        "declined": "Gracias. Terminamos aquí; no se guardó nada de lo que envió.",
        "nudge": "Envíe RAIA para empezar una encuesta.",
        "q1": "1/5 ¿Cuándo dejó de funcionar?\n"
              "Responda con una fecha como 25/12/2024.",
        "q2": "2/5 ¿Quién busca el agua?\n"
              "Responda con uno o más números, p. ej. 1 3.\n"
              "1. Mujeres\n"
              "2. Hombres\n"
              "3. Niños",
        "q2_sms": "2/5 ¿Quién busca el agua?\n"
                  "Uno o más, p. ej. 1 3\n"
                  "1. Mujeres\n"
                  "2. Hombres\n"
                  "3. Niños",
        "q3": "3/5 ¿Precio de 20 litros?\n"
              "Responda con un número, p. ej. 2,5.",
        "q4": "4/5 ¿Dónde está?\n"
              "Responda con latitud y longitud, p. ej. -34.6 -58.4. Opcional: envíe SALTAR "
              "para saltarla.",
        "q4_sms": "4/5 ¿Dónde está?\n"
                  "lat lon, p. ej. -34.6 -58.4 (SALTAR para saltar)",
        "q5": "5/5 ¿Algo más?\n"
              "Opcional: envíe SALTAR para saltarla.",
        "closing": "Gracias por ayudar a su comunidad.",
        "mydata": "De este número tenemos 1 encuesta(s) y sus mensajes:\n"
                  "- Water point check, {today}, {channel}\n"
                  "Envíe BORRAR para borrarlas.",
        "erase": "¿Borrar las 1 encuesta(s) enviadas desde este número, sus mensajes y el "
                 "número? No se puede deshacer.\n"
                 "1. Borrar\n"
                 "2. Conservar",
        "kept": "No se borró nada.",
        "erased": "Listo: se borró todo lo enviado desde este número, y el número.",
        "menu": "Elija una encuesta:\n"
                "1. Water point check\n"
                "2. Mis datos\n"
                "3. Borrar mis datos",
        "in_progress": "Tiene una encuesta en curso.\n"
                       "1. Continuar\n"
                       "2. Empezar de nuevo",
        "restart": "Empezamos de nuevo.",
        "unfinished": "De este número tenemos 2 encuesta(s) y sus mensajes:\n"
                      "- 2 encuesta(s) sin terminar (sus respuestas hasta ahora)\n"
                      "Envíe BORRAR para borrarlas.",
    },
    "ne": {
        "consent": "के तपाईं ५ प्रश्नको उत्तर दिन सहमत हुनुहुन्छ?\n"
                   "1. हो\n"
                   "2. होइन",
        "declined": "धन्यवाद। हामी यहीँ रोकिन्छौं; तपाईंले पठाएको केही पनि राखिएको छैन।",
        "nudge": "सर्वेक्षण सुरु गर्न RAIA पठाउनुहोस्।",
        "q1": "1/5 धारा कहिले बिग्रियो?\n"
              "मिति यसरी पठाउनुहोस्: 2024-12-25।",
        "q2": "2/5 पानी कसले ल्याउँछ?\n"
              "एक वा बढी नम्बर पठाउनुहोस्, जस्तै 1 3।\n"
              "1. महिला\n"
              "2. पुरुष\n"
              "3. बालबालिका",
        "q2_sms": "2/5 पानी कसले ल्याउँछ?\n"
                  "एक वा बढी, जस्तै 1 3\n"
                  "1. महिला\n"
                  "2. पुरुष\n"
                  "3. बालबालिका",
        "q3": "3/5 २० लिटरको मूल्य?\n"
              "सङ्ख्या पठाउनुहोस्, जस्तै 2.5।",
        "q4": "4/5 यो कहाँ छ?\n"
              "अक्षांश र देशान्तर पठाउनुहोस्, जस्तै 27.7 85.3। ऐच्छिक: छोड्न छोड पठाउनुहोस्।",
        "q4_sms": "4/5 यो कहाँ छ?\n"
                  "अक्षांश देशान्तर, जस्तै 27.7 85.3 (छोड्न छोड)",
        "q5": "5/5 अरू केही?\n"
              "ऐच्छिक: छोड्न छोड पठाउनुहोस्।",
        "closing": "समुदायलाई सहयोग गर्नुभएकोमा धन्यवाद।",
        "mydata": "यो नम्बरबाट हामीसँग 1 सर्वेक्षण र तिनका सन्देशहरू छन्:\n"
                  "- Water point check, {today}, {channel}\n"
                  "मेटाउन मेटाउ पठाउनुहोस्।",
        "erase": "यो नम्बरबाट पठाइएका 1 सर्वेक्षण, तिनका सन्देश र नम्बर नै मेटाउने? यो "
                 "फिर्ता हुँदैन।\n"
                 "1. मेटाउनुहोस्\n"
                 "2. राख्नुहोस्",
        "kept": "केही पनि मेटाइएन।",
        "erased": "सकियो: यो नम्बरबाट पठाइएका सबै कुरा र नम्बर नै मेटाइयो।",
        "menu": "सर्वेक्षण छान्नुहोस्:\n"
                "1. Water point check\n"
                "2. मेरो विवरण\n"
                "3. मेरो विवरण मेटाउनुहोस्",
        "in_progress": "तपाईंको सर्वेक्षण बाँकी छ।\n"
                       "1. जारी राख्नुहोस्\n"
                       "2. फेरि सुरु गर्नुहोस्",
        "restart": "फेरि सुरु गर्दै।",
        "unfinished": "यो नम्बरबाट हामीसँग 2 सर्वेक्षण र तिनका सन्देशहरू छन्:\n"
                      "- 2 अधूरो सर्वेक्षण (अहिलेसम्मका तपाईंका उत्तर)\n"
                      "मेटाउन मेटाउ पठाउनुहोस्।",
    },
}


def _replies(says: dict[str, str]) -> dict[str, list[str]]:
    """The replies, in order, to sms_script, ussd_script and whatsapp_script."""
    first = SAYS["en"]["consent"]  # RAIA: in the form's default language until one is chosen
    sms = [first,  # RAIA
           says["consent"],  # LANGUAGE n
           says["declined"],  # no
           says["nudge"],  # hello
           says["consent"],  # RAIA
           says["q1"],  # yes
           says.get("q2_sms", says["q2"]),  # the date
           says["q3"],  # who
           says.get("q4_sms", says["q4"]),  # the price
           says["q5"],  # SKIP
           says["closing"],  # SKIP
           says["mydata"].replace("{channel}", "SMS"),  # MYDATA
           says["erase"],  # DELETE
           says["kept"],  # 2
           says["erase"],  # DELETE
           says["erased"]]  # 1
    ussd = ["CON " + says["menu"],  # A:
            "CON " + says["consent"],  # A:1
            "CON " + says["q1"],  # A:1*1
            "CON " + says["in_progress"],  # B:
            "CON " + says["q1"],  # B:1
            "CON " + says["q2"],  # B:1*the date
            "CON " + says["in_progress"],  # C:
            "CON " + says["restart"] + "\n" + says["consent"],  # C:2
            "END " + says["unfinished"]]  # C:2*MYDATA
    whatsapp = [first,  # RAIA
                says["consent"],  # LANGUAGE n
                says["q1"],  # yes
                says["q2"],  # the date
                says["q3"],  # who
                says["q4"],  # the price
                says["q5"],  # -1.28 36.82
                says["closing"],  # SKIP
                says["mydata"].replace("{channel}", "WhatsApp")]  # MYDATA
    return {"sms": sms, "ussd": ussd, "whatsapp": whatsapp}


EXPECTED: dict[str, dict[str, list[str]]] = {lang: _replies(SAYS[lang]) for lang in LANGS}


def today(lang: str) -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d" if lang == "ne" else "%d/%m/%Y")


def expected(lang: str, table: str) -> list[str]:
    return [row.replace("{today}", today(lang)) for row in EXPECTED[lang][table]]


def submissions() -> list[Submission]:
    db.session.expire_all()
    return list(db.session.scalars(select(Submission).order_by(Submission.id)))


@pytest.mark.parametrize("lang", LANGS)
@responses.activate
def test_sms_consent_prompts_closing_and_rights(client, citizen, lang):
    """Items 1-3 by SMS: a declined consent ends politely and keeps nothing; each question
    says how to answer (and how to skip) with its progress; one closing message, the form's
    own; MYDATA lists the survey; DELETE asks, "2" keeps, DELETE and "1" erase."""
    at_accepts()
    at = channel(client, citizen, "africastalking", "sms", "21515")
    script, want = sms_script(lang), expected(lang, "sms")
    got = []
    for number, text in enumerate(script):
        got.append(sms(client, at, text))
        if number == 2:  # declined
            conversation = db.session.scalars(select(Conversation)).one()
            db.session.refresh(conversation)
            assert conversation.status == "declined" and submissions() == []
        if number == 10:  # completed
            assert [s.channel for s in submissions()] == ["sms"]
    assert got == want
    assert submissions() == []
    assert [r.status for r in db.session.scalars(
        select(ErasureRequest).order_by(ErasureRequest.id))] == ["kept", "erased"]


@pytest.mark.parametrize("lang", LANGS)
@responses.activate
def test_ussd_menu_resume_and_rights(client, citizen, lang):
    """Items 3 and 6 on Africa's Talking USSD, in the language the person chose by SMS: the
    menu with "My data" and "Delete my data"; a session dropped after an answer is offered
    "1. Continue 2. Start again" on redial; a rights word typed in the survey is answered."""
    at_accepts()
    at = channel(client, citizen, "africastalking", "sms", "21515")
    ussd = channel(client, citizen, "africastalking", "ussd", "*384*15#")
    sms(client, at, "RAIA", "+254711000777")
    sms(client, at, WORDS[lang]["language"], "+254711000777")
    got = [ussd_hop(client, ussd, f"ATUid_{session}", history, "+254711000777")
           for session, history in ussd_script(lang)]
    assert got == expected(lang, "ussd")
    ussd_survey = db.session.scalars(select(Conversation).where(
        Conversation.medium == "ussd")).one()
    assert ussd_survey.status == "active" and submissions() == []


@pytest.mark.parametrize("lang", LANGS)
@responses.activate
def test_whatsapp_through_twilio(client, citizen, lang):
    """Item 4: the same survey on a Twilio WhatsApp sender, signed webhooks, whole hints (no
    SMS parts to save), one closing message; MYDATA names the channel."""
    twilio_accepts()
    wa = channel(client, citizen, "twilio", "whatsapp", SENDER)
    got = [whatsapp(client, wa, text, "+254711000888") for text in whatsapp_script(lang)]
    assert got == expected(lang, "whatsapp")
    assert [s.channel for s in submissions()] == ["whatsapp"]


def test_the_cost_in_each_language(client, citizen):
    """Item 5 through the API: each of the four languages, GSM-7 for English, UCS-2 for
    Nepali, a declined consent's cost apart."""
    project, headers = citizen
    body = client.get(f"/v1/projects/{project}/forms/citizen/sms-cost",
                      headers=headers).get_json()
    languages = {row["language"]: row for row in body["languages"]}
    assert list(languages) == ["English (en)", "Kiswahili (sw)", "Español (es)", "नेपाली (ne)"]
    for row in languages.values():
        assert row["exhaustive"] and row["declined"]["messagesOut"] == 2
        assert row["shortest"]["messagesOut"] <= row["longest"]["messagesOut"]
    english, nepali = languages["English (en)"], languages["नेपाली (ne)"]
    assert english["longest"]["ucs2Segments"] == 0 and english["longest"]["gsm7Segments"] > 0
    assert nepali["longest"]["gsm7Segments"] == 0
    assert nepali["longest"]["segments"] > english["longest"]["segments"]


CONFIDENTIAL = {
    "en": "From this number we hold 1 survey(s) and the messages about them:\n"
          "- A confidential survey, {today}, SMS\nSend DELETE to erase them.",
    "sw": "Kutoka namba hii tuna tafiti 1 na jumbe zake:\n"
          "- Utafiti wa siri, {today}, SMS\nTuma FUTA kuzifuta.",
    "es": "De este número tenemos 1 encuesta(s) y sus mensajes:\n"
          "- Una encuesta confidencial, {today}, SMS\nEnvíe BORRAR para borrarlas.",
    "ne": "यो नम्बरबाट हामीसँग 1 सर्वेक्षण र तिनका सन्देशहरू छन्:\n"
          "- एउटा गोप्य सर्वेक्षण, {today}, SMS\nमेटाउन मेटाउ पठाउनुहोस्।",
}


@pytest.mark.parametrize("lang", LANGS)
@responses.activate
def test_a_sensitive_form_in_each_language(client, citizen, lang):
    """Item 2 by SMS: a sensitive form's survey keeps its submission and delivery statuses
    only (conversation and texts purged), is never reminded, and MYDATA does not name it."""
    from datetime import timedelta

    from app.messaging import idle
    from app.models import Message
    from app.models.base import utcnow
    from app.services.forms import create_form

    create_form(citizen[0], _compiled("citizen_safe", "SALAMA", "yes"), None, publish=True)
    db.session.commit()
    at_accepts()
    at = channel(client, citizen, "africastalking", "sms", "21515")
    w = WORDS[lang]
    replies = [sms(client, at, text) for text in [
        "SALAMA", w["language"], w["yes"], w["date"], w["who"], w["price"], w["skip"],
        w["skip"]]]
    assert replies[1:] == expected(lang, "sms")[4:11]  # the same questions, hints, closing
    assert [s.channel for s in submissions()] == ["sms"]
    survey = db.session.scalars(select(Conversation)).one()
    assert survey.status == "completed" and survey.purged_at is not None
    assert survey.state == {} and survey.instance_xml is None
    texts = db.session.scalars(select(Message.text).where(
        Message.conversation_id == survey.id)).all()
    assert len(texts) == 16 and set(texts) == {""}
    assert sms(client, at, w["mydata"]) == CONFIDENTIAL[lang].replace("{today}", today(lang))
    sms(client, at, "SALAMA")
    sms(client, at, w["yes"])
    before = len(responses.calls)
    assert idle.tick_idle(now=utcnow() + timedelta(hours=3)).send == []
    assert len(responses.calls) == before  # no reminder that could reveal taking part


PHOTO_FORM = {
    "survey": [["type", "name", *(f"label::{lang}" for lang in LANGUAGES), "required"],
               ["image", "photo", "Photo of the water point", "Picha ya kituo cha maji",
                "Foto del punto de agua", "धाराको फोटो", "yes"],
               ["note", "bye", "Thank you for the photo.", "Asante kwa picha.",
                "Gracias por la foto.", "फोटोका लागि धन्यवाद।", ""]],
    "settings": [["form_id", "default_language", "sms_keyword"],
                 ["foto", "English (en)", "PICHA"]],
}
PHOTO_TABLE = {
    "en": ["Photo of the water point\nSend a photo.", "Thank you for the photo."],
    "sw": ["Picha ya kituo cha maji\nTuma picha.", "Asante kwa picha."],
    "es": ["Foto del punto de agua\nEnvíe una foto.", "Gracias por la foto."],
    "ne": ["धाराको फोटो\nफोटो पठाउनुहोस्।", "फोटोका लागि धन्यवाद।"],
}


@pytest.mark.parametrize("lang", LANGS)
@responses.activate
def test_a_photo_question_on_whatsapp_in_each_language(client, citizen, lang, app):
    """Item 4: a photo question is asked with its hint in the person's language and answered
    with the photo they send, fetched from a local stub of Twilio's media endpoint (real HTTP
    on the loopback) with the channel's credentials and stored as the attachment."""
    from app.models import Blob, SubmissionAttachment
    from app.services import storage
    from app.services.forms import create_form
    from tests.fixtures.twilio_media import JPEG, MediaStub

    create_form(citizen[0], _compile(PHOTO_FORM, "foto.xlsx"), None, publish=True)
    db.session.commit()
    twilio_accepts()
    wa = channel(client, citizen, "twilio", "whatsapp", SENDER)
    with MediaStub(SID, TOKEN) as media:
        app.config["TWILIO_MEDIA_PREFIXES"] = ",".join(media.prefixes)
        for prefix in media.prefixes:
            responses.add_passthru(prefix)
        whatsapp(client, wa, "PICHA")
        asked = whatsapp(client, wa, WORDS[lang]["language"])
        closing = whatsapp(client, wa, "", media_url=media.url)
        assert [asked, closing] == PHOTO_TABLE[lang]
        (_, auth), (_, cdn_auth) = media.seen
        assert auth.startswith("Basic ") and cdn_auth is None
    attachment = db.session.scalars(select(SubmissionAttachment)).one()
    blob = db.session.get(Blob, attachment.blob_id)
    assert storage.blob_path(blob.sha256).read_bytes() == JPEG

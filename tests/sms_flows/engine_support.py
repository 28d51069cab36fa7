"""Helpers for the conversation-engine tests: fixture forms compiled once, and a `Talk` that
drives the engine the way the app does (state stored as JSON and loaded between messages)."""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from pyxform.xls2xform import convert

from forms.model import FormModel
from sms_flows import engine
from sms_flows.types import StartContext

FORMS = Path(__file__).parent.parent / "fixtures" / "forms"
T0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


@cache
def xform(name: str) -> str:
    """The XForm pyxform makes from a fixture XLSForm."""
    return convert(xlsform=str(FORMS / f"{name}.xlsx")).xform


@cache
def model(name: str) -> FormModel:
    """The engine's model of a fixture form (parsed once)."""
    return engine.parse_form(xform(name))


@cache
def md_model(md: str) -> FormModel:
    """The engine's model of a small XLSForm written in pyxform's markdown."""
    return engine.parse_form(convert(xlsform=md, file_type=".md").xform)


class Talk:
    """One person texting one form; every step goes through to_json/load like the app."""

    def __init__(self, form: str | FormModel, medium: str = "sms", *, text: str = "KEY",
                 language: str | None = None, settings: Mapping[str, Any] | None = None,
                 phone: str = "hash:abc", commands: Mapping | None = None,
                 form_keywords: Mapping[str, str] | None = None, now: datetime = T0) -> None:
        self.model = model(form) if isinstance(form, str) else form
        self.now = now
        context = StartContext(medium=medium, text=text, phone=phone, language=language,
                               settings=dict(settings or {}), commands=commands,
                               form_keywords=dict(form_keywords or {}))
        self.state, self.replies = engine.start(self.model, context, now)
        self._roundtrip()

    def _roundtrip(self) -> None:
        self.state = engine.load(json.loads(json.dumps(self.state.to_json())), self.model)

    def send(self, text: str, *, after: timedelta = timedelta(seconds=20)) -> str:
        """One message in; the replies joined by newlines."""
        self.now += after
        self.state, self.replies = engine.step(self.state, text, self.now)
        self._roundtrip()
        return "\n".join(self.replies)

    def play(self, table: Iterable[tuple[str, Iterable[str]]]) -> None:
        """Send each inbound and check each expected fragment is in the reply."""
        for inbound, fragments in table:
            reply = self.send(inbound)
            for fragment in fragments:
                assert fragment in reply, f"{inbound!r}: {fragment!r} not in {reply!r}"

    @property
    def reply(self) -> str:
        return "\n".join(self.replies)


# The fixture water_point form answered one way: the texts a person sends (SMS/USSD), the same
# answers in one compact message, and the values ODK Collect's XML carries for them.
WATER_TEXTS = ["1", "1", "2", "7", "Kisima", "2", "12", "40", "1 3", "SKIP",
               "-0.09 34.77", "Maji ni machafu"]
WATER_COMPACT = "MAJI 1 +wp 1 2 7 Kisima 2 12 40 1,3 - - -0.09,34.77 Maji ni machafu"
WATER_COLLECT = {
    "/data/consent": "yes", "/data/wp/county": "kisumu", "/data/wp/ward": "nyalenda_a",
    "/data/wp/water_source": "other", "/data/wp/source_other": "Kisima",
    "/data/wp/functional": "no", "/data/wp/days_broken": "12",
    "/data/wp/minutes_to_fetch": "40", "/data/wp/who_fetches": "women girls",
    "/data/wp/households": "", "/data/wp/location": "-0.09 34.77 0 0",
    "/data/wp/comments": "Maji ni machafu", "/data/thanks": "",
}

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@cache
def model_with(name: str, **settings: str) -> FormModel:
    """A fixture form with settings-sheet columns added (`consent="consent"`,
    `sensitive="yes"`, `sms_progress="yes"`), compiled and read as publishing does."""
    from forms.xlsform import compile_upload
    from tests.forms.xlsform_builder import with_settings

    data = with_settings(FORMS / f"{name}.xlsx", settings.items())
    compiled = compile_upload(data, XLSX, validate=False, ignore_warnings=True)
    return engine.parse_form(compiled.xml, compiled.conversation)


def markdown(sheets: Mapping[str, list[list[str]]]) -> str:
    """pyxform's markdown for sheets given as rows (the first row of each is its header)."""
    lines = []
    for sheet, rows in sheets.items():
        lines.append(f"| {sheet} |" + " |" * len(rows[0]))
        lines += ["| | " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


LANGUAGES = ["English (en)", "Kiswahili (sw)", "Español (es)", "नेपाली (ne)"]
# A small form in the four pilot languages with one question of each kind that needs a hint,
# a consent question first and a closing note (as sheets for tests that need an .xlsx).
CITIZEN_SHEETS: dict[str, list[list[str]]] = {
    "survey": [
        ["type", "name", *(f"label::{lang}" for lang in LANGUAGES), "required", "relevant"],
        ["select_one yn", "consent", "Do you agree to answer 5 questions?",
         "Je, unakubali kujibu maswali 5?", "¿Acepta responder 5 preguntas?",
         "के तपाईं ५ प्रश्नको उत्तर दिन सहमत हुनुहुन्छ?", "yes", ""],
        ["begin group", "main", "Main", "Kuu", "Principal", "मुख्य", "", "${consent} = 'yes'"],
        ["date", "broke", "When did the water point stop working?",
         "Kituo kiliacha kufanya kazi lini?", "¿Cuándo dejó de funcionar?",
         "धारा कहिले बिग्रियो?", "yes", ""],
        ["select_multiple who", "who", "Who fetches water?", "Nani huchota maji?",
         "¿Quién busca el agua?", "पानी कसले ल्याउँछ?", "yes", ""],
        ["decimal", "price", "Price of 20 litres?", "Bei ya lita 20?", "¿Precio de 20 litros?",
         "२० लिटरको मूल्य?", "yes", ""],
        ["geopoint", "where", "Where is it?", "Kiko wapi?", "¿Dónde está?", "यो कहाँ छ?", "no",
         ""],
        ["text", "story", "Anything else?", "Jambo lingine?", "¿Algo más?", "अरू केही?", "no",
         ""],
        ["end group", "", "", "", "", "", "", ""],
        ["note", "bye", "Thank you for helping your community.",
         "Asante kwa kusaidia jamii yako.", "Gracias por ayudar a su comunidad.",
         "समुदायलाई सहयोग गर्नुभएकोमा धन्यवाद।", "", ""],
    ],
    "choices": [
        ["list_name", "name", *(f"label::{lang}" for lang in LANGUAGES)],
        ["yn", "yes", "Yes", "Ndiyo", "Sí", "हो"],
        ["yn", "no", "No", "Hapana", "No", "होइन"],
        ["who", "women", "Women", "Wanawake", "Mujeres", "महिला"],
        ["who", "men", "Men", "Wanaume", "Hombres", "पुरुष"],
        ["who", "children", "Children", "Watoto", "Niños", "बालबालिका"],
    ],
    "settings": [["form_id", "default_language"], ["citizen", "English (en)"]],
}
CITIZEN_MD = markdown(CITIZEN_SHEETS)


def citizen_model(consent: bool = True, sensitive: bool = False,
                  progress: bool = False) -> FormModel:
    """CITIZEN_MD with the settings a coordinator would give it."""
    from forms.settings import Consent, ConversationSettings

    return md_model(CITIZEN_MD).with_settings(ConversationSettings(
        consent=(Consent("/data/consent", "yes"),) if consent else (),
        sensitive=sensitive, progress=progress))

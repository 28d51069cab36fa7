"""How to answer a question, said when it is first asked (not only after a wrong reply).

Each hint comes in a full and a short form (prompts.py picks the one the channel can afford):
select_multiple, dates in the local order, times, geopoints, decimals, media on WhatsApp; an
optional question says how to skip it. select_one, integers and text need no hint: a
numbered list or the question itself says how to answer.
"""
from __future__ import annotations

from dataclasses import dataclass

from forms.walker import Event
from forms.walker_analysis import media_kind as field_media_kind
from sms_flows import keywords
from sms_flows.messages import CATALOGUE, command_word, message

# The type's catalogue key: the full hint is the same text as the type's error reason.
_BY_TYPE = {"date": "date", "dateTime": "datetime", "time": "time", "geopoint": "geopoint",
            "decimal": "decimal"}
_MEDIA = {"image": "send_image", "audio": "send_audio", "video": "send_video"}


def media_kind(event: Event) -> str | None:
    """ "image", "audio" or "video" for an upload question a photo or note can answer."""
    return field_media_kind(event.field)


@dataclass(frozen=True)
class Hints:
    """How to answer a question: the type's hint and the optional one, each full and short."""

    how: str = ""
    how_short: str = ""
    skip: str = ""
    skip_short: str = ""


def answer_hints(event: Event, lang: str, table: dict[str, str]) -> Hints:
    """The hints for a question in a catalogue language (empty ones for none)."""
    f = event.field
    key = None
    if f.control == "select":
        key = "reply_numbers"
    elif media_kind(event):
        key = _MEDIA[media_kind(event) or ""]
    elif f.control in (None, "input", "range"):
        key = _BY_TYPE.get(f.type)
    how = message(key, lang) if key else ""
    how_short = message(f"{key}_short" if f"{key}_short" in CATALOGUE else key, lang) \
        if key else ""
    if event.required or event.kind == "prompt":
        return Hints(how, how_short)
    skip = command_word(keywords.SKIP, lang, table)
    return Hints(how, how_short, message("optional", lang, skip=skip),
                 message("optional_short", lang, skip=skip))

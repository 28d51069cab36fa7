"""Turn what a person typed into the value Collect would store, or a reason it is not one.

Digits in any script count (Nepali ० to ९ included); decimals take a comma or a point; dates
are day-first (25/12/2024, 25-12-2024, 25.12.24) or year-first (2024-12-25, 2024/12/25, as
written in Nepal); select_one takes a number, a label in any of the form's languages (case
and accents folded) or a choice name; select_multiple takes numbers or names separated by
spaces or commas. WhatsApp's keycap digits (1️⃣ 3️⃣) are digits, and a lone 👍 / 👎 is yes / no.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from datetime import date

from forms.model import Choice, Field
from sms_flows.keywords import fold
from sms_flows.messages import message


class AnswerError(ValueError):
    """An answer that does not fit the question; `key` names the catalogue reason."""

    code = "sms.invalid_answer"

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key

    def text(self, lang: str | None) -> str:
        """The reason in the person's language."""
        return message(self.key, lang)


_DATE_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})$")
_DATE_ISO = re.compile(r"^(\d{4})[/.\-](\d{1,2})[/.\-](\d{1,2})$")
_TIME = re.compile(r"^(\d{1,2})[:.h](\d{2})$")
_INT = re.compile(r"^[+-]?\d+$")
_DECIMAL = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$")
_SPLIT = re.compile(r"[\s,;]+")


# Keycap digits are a digit + U+FE0F + U+20E3; 🔟 is ten. Variation selectors only pick a glyph.
_KEYCAP_MARKS = dict.fromkeys(map(ord, "\ufe0e\ufe0f\u20e3"))
_EMOJI_WORDS = {"👍": "yes", "👎": "no"}


def plain_reply(text: str) -> str:
    """What a person typed, trimmed, with emoji that stand for digits or yes/no read as such
    ("1️⃣ 3️⃣" -> "1 3", a lone "👍🏽" -> "yes")."""
    plain = text.strip().translate(_KEYCAP_MARKS).replace("🔟", "10")
    bare = "".join(c for c in plain if not 0x1F3FB <= ord(c) <= 0x1F3FF)  # skin tones
    return _EMOJI_WORDS.get(bare, plain)


def ascii_digits(text: str) -> str:
    """Digits of any script as 0-9 ("४५" -> "45"); other characters unchanged."""
    return "".join(str(unicodedata.decimal(c)) if c.isdecimal() and not c.isascii() else c
                   for c in text)


def parse_answer(field: Field, text: str, choices: Sequence[Choice] = ()) -> str:
    """The instance value for a typed answer; "" for an empty reply; AnswerError if invalid."""
    raw = text.strip()
    if not raw:
        return ""
    if field.control == "select1":
        return _choice(raw, choices).name
    if field.control == "select":
        return _choices(raw, choices)
    if field.control == "trigger":
        return "OK"
    kind = field.type
    if kind == "int":
        return _int(raw)
    if kind == "decimal":
        return _decimal(raw)
    if kind == "date":
        return _date(raw).isoformat()
    if kind == "time":
        return _time(raw)
    if kind == "dateTime":
        day, _, clock = raw.partition(" ")
        return f"{_date(day).isoformat()}T{_time(clock or '00:00')}"
    if kind == "geopoint":
        return _geopoint(raw)
    return " ".join(raw.split()) if "\n" not in raw else raw


def _int(raw: str) -> str:
    value = ascii_digits(raw)
    if not _INT.match(value):
        raise AnswerError("whole_number")
    number = int(value)
    if abs(number) >= 2**31:  # JavaRosa's IntegerData is a Java int
        raise AnswerError("whole_number")
    return str(number)


def _decimal(raw: str) -> str:
    value = ascii_digits(raw)
    if "," in value and "." not in value and value.count(",") == 1:
        value = value.replace(",", ".")
    if not _DECIMAL.match(value):
        raise AnswerError("decimal")
    number = float(value)
    # As JavaRosa's DecimalData writes a double: 12 -> "12.0", 12.50 -> "12.5".
    return repr(number)


def _date(raw: str) -> date:
    value = ascii_digits(raw).strip()
    try:
        if m := _DATE_ISO.match(value):
            return date(int(m[1]), int(m[2]), int(m[3]))
        if m := _DATE_DMY.match(value):
            year = int(m[3]) + (2000 if len(m[3]) == 2 else 0)
            return date(year, int(m[2]), int(m[1]))
    except ValueError:
        pass
    raise AnswerError("date")


def _time(raw: str) -> str:
    m = _TIME.match(ascii_digits(raw).strip())
    if not m or int(m[1]) > 23 or int(m[2]) > 59:
        raise AnswerError("time")
    return f"{int(m[1]):02d}:{m[2]}:00.000"


def _geopoint(raw: str) -> str:
    value = ascii_digits(raw).strip()
    if any(c.isspace() for c in value):
        parts = [p.strip(",;") for p in value.split()]
        parts = [p.replace(",", ".") if p.count(",") == 1 and "." not in p else p
                 for p in parts if p]
    else:
        parts = [p for p in re.split(r"[,;]", value) if p]
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        raise AnswerError("geopoint") from None
    if len(numbers) not in (2, 3, 4) or not -90 <= numbers[0] <= 90 \
            or not -180 <= numbers[1] <= 180:
        raise AnswerError("geopoint")
    numbers += [0.0] * (4 - len(numbers))
    return " ".join(_plain(n) for n in numbers)


def _plain(number: float) -> str:
    return str(int(number)) if number == int(number) else repr(number)


def _choice(raw: str, choices: Sequence[Choice]) -> Choice:
    value = ascii_digits(raw).strip(" .)")
    if value.isdigit():
        index = int(value)
        if 1 <= index <= len(choices):
            return choices[index - 1]
        raise AnswerError("reply_number")
    folded = fold(raw)
    for matcher in (_by_label, _by_name, _by_option):
        found = [c for c in choices if matcher(c, folded)]
        if len(found) == 1:
            return found[0]
    raise AnswerError("reply_number")


def _by_label(choice: Choice, folded: str) -> bool:
    return any(fold(label) == folded for label in choice.labels.values())


def _by_name(choice: Choice, folded: str) -> bool:
    return fold(choice.name) == folded


def _by_option(choice: Choice, folded: str) -> bool:
    option = choice.properties.get("sms_option")
    return bool(option) and fold(option) == folded


def _choices(raw: str, choices: Sequence[Choice]) -> str:
    try:
        return _choice(raw, choices).name  # one whole label, even with spaces in it
    except AnswerError:
        pass
    picked: set[str] = set()
    for token in (t for t in _SPLIT.split(raw) if t):
        try:
            picked.add(_choice(token, choices).name)
        except AnswerError:
            raise AnswerError("reply_numbers") from None
    # Collect writes the selected names in the order of the choice list.
    return " ".join(c.name for c in choices if c.name in picked)

"""Raw answer text → typed Python values for the typed exports (XLSX, SPSS, Stata).

A value that does not parse as its bind type is kept as text, never dropped: the export
must not lose what was sent.
"""
from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, time
from typing import Any

_INT = re.compile(r"^[+-]?\d{1,15}$")  # beyond 15 digits a double (Excel, SPSS) loses digits


def to_int(text: str) -> int | str:
    return int(text) if _INT.match(text) else text


def to_float(text: str) -> float | str:
    try:
        number = float(text)
    except ValueError:
        return text
    return number if math.isfinite(number) else text


def to_date(text: str) -> date | str:
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return text


def to_datetime(text: str) -> datetime | str:
    """An ODK dateTime as naive UTC (Excel, SPSS and Stata have no time zones)."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return text
    return naive_utc(moment)


def naive_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def to_time(text: str) -> time | str:
    """An ODK time ("10:30:00.000+03:00") as the wall-clock time it was recorded."""
    try:
        return time.fromisoformat(text.strip().replace("Z", "+00:00")).replace(tzinfo=None)
    except ValueError:
        return text


CONVERTERS = {"int": to_int, "decimal": to_float, "date": to_date, "dateTime": to_datetime,
              "time": to_time}


def typed(kind: str, value: Any) -> Any:
    """`value` (raw text, or already a number) as the Python value of its kind; "" → None."""
    if value is None:
        return None
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text == "":
        return None
    convert = CONVERTERS.get(kind)
    return value if convert is None else convert(text)


def localized(labels: dict[str, str], language: str | None) -> str:
    """A label in the language (or the untranslated one), with `${/data/x/y}` shown as
    `${y}`, as a form designer wrote it."""
    text = labels.get(language or "", "") if language else ""
    if not text:
        text = labels.get("", "") or (next(iter(labels.values()), "") if labels else "")
    return re.sub(r"\$\{/[^}]*/([^/}]+)\}", r"${\1}", text).strip()


def pick_language(languages: tuple[str, ...], default: str | None,
                  asked: str | None) -> str | None:
    """The form language matching `asked` ("English (en)", "English" or "en", any case); the
    form's default when nothing is asked. LookupError when the form has no such language."""
    if asked is None:
        return default or (languages[0] if languages else None)
    wanted = asked.strip().casefold()
    for language in languages:
        name, _, code = language.partition("(")
        if wanted in (language.casefold(), name.strip().casefold(),
                      code.rstrip(")").strip().casefold()):
            return language
    raise LookupError(asked)

"""Cleaning one submission version: typed values, normalised text, hashed phones, flags.

Values we doubt are kept as sent and flagged with a reason; nothing is silently changed.
"""
from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from xml.etree.ElementTree import Element

import phonenumbers

from app.pipeline.fields import FieldSpec, FormSpec, local_path
from forms import privacy

_INT = re.compile(r"^[+-]?\d+$")


@dataclass(frozen=True)
class PhonePolicy:
    """How phone answers are stored: clear E.164 only when the project allows it."""

    key: bytes
    allow_clear: bool = False
    region: str | None = None


@dataclass
class Cleaned:
    """The record (path -> typed value; repeats as lists of records) and the flags raised."""

    record: dict[str, Any] = field(default_factory=dict)
    flags: list[dict[str, Any]] = field(default_factory=list)


def clean_instance(spec: FormSpec, root: Element, *, phones: PhonePolicy,
                   received: date) -> Cleaned:
    """Clean an instance document against its form version; `received` bounds today()."""
    out = Cleaned()
    out.record = _walk(spec, root, f"/{_local(root.tag)}", out, phones, received)
    return out


def iter_values(record: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """(path, value) for every answer, descending into repeats."""
    for path, value in record.items():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for item in value:
                yield from iter_values(item)
        else:
            yield path, value


def _walk(spec: FormSpec, node: Element, path: str, out: Cleaned, phones: PhonePolicy,
          received: date) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for child in node:
        child_path = local_path(f"{path}/{_local(child.tag)}")
        if child_path in spec.repeats:
            record.setdefault(child_path, []).append(
                _walk(spec, child, child_path, out, phones, received))
        elif len(child):
            record.update(_walk(spec, child, child_path, out, phones, received))
        else:
            fspec = spec.fields.get(child_path) or FieldSpec(
                child_path, "string", None, True, None, False)
            record[child_path] = clean_value(fspec, child.text, out.flags, phones, received)
    return record


def clean_value(spec: FieldSpec, raw: str | None, flags: list[dict[str, Any]],
                phones: PhonePolicy, received: date) -> Any:
    """One answer typed per its bind; a doubtful one is returned as sent and flagged."""
    text = unicodedata.normalize("NFC", raw or "").strip()
    if text == "":
        return None

    def flag(code: str, reason: str, value: Any = text) -> None:
        flags.append({"field": spec.path, "code": code, "reason": reason, "value": value})

    kind = spec.type
    if kind == "int":
        if not _INT.match(text):
            flag("not_integer", "not a whole number")
            return text
        return int(text)
    if kind == "decimal":
        try:
            number = float(text)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            flag("not_decimal", "not a number")
            return text
        return number
    if kind == "date":
        return _date(text, spec, flag, received)
    if kind == "dateTime":
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            flag("bad_datetime", "not an ISO 8601 date and time")
            return text
        if moment.tzinfo is None:
            return moment.isoformat()
        return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if kind == "geopoint":
        return _geopoint(text, flag)
    if kind in ("geotrace", "geoshape"):
        return [_geopoint(p.strip(), flag) for p in text.split(";") if p.strip()]
    if spec.is_multiple:
        return text.split()
    if spec.is_phone:
        return _phone(text, phones, flag)
    return text


def _date(text: str, spec: FieldSpec, flag, received: date) -> str:
    try:
        value = date.fromisoformat(text[:10])
    except ValueError:
        flag("bad_date", "not a YYYY-MM-DD date")
        return text
    if "today()" in (spec.constraint or "") and value > received:
        flag("future_date", "after the day it was received, though the form bounds it by today")
    return value.isoformat()


def _geopoint(text: str, flag) -> Any:
    parts = text.split()
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        numbers = []
    if not 2 <= len(numbers) <= 4 or not all(math.isfinite(n) for n in numbers):
        flag("bad_geopoint", "not 'lat lon [alt [accuracy]]'")
        return text
    numbers += [None] * (4 - len(numbers))
    point = dict(zip(("lat", "lon", "alt", "accuracy"), numbers, strict=True))
    if not (-90 <= point["lat"] <= 90 and -180 <= point["lon"] <= 180):
        flag("geopoint_out_of_range", "latitude or longitude out of range", point)
    elif point["accuracy"] is not None and point["accuracy"] < 0:
        flag("geopoint_out_of_range", "negative accuracy", point)
    return point


def _phone(text: str, policy: PhonePolicy, flag) -> str:
    try:
        number = phonenumbers.parse(text, policy.region)
        valid = phonenumbers.is_valid_number(number)
    except phonenumbers.NumberParseException:
        valid = False
    if not valid:
        stored = text if policy.allow_clear else hash_phone(policy.key, text)
        flag("bad_phone", "not a valid phone number", stored)
        return stored
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return e164 if policy.allow_clear else hash_phone(policy.key, e164)


def hash_phone(key: bytes, number: str) -> str:
    """A keyed hash (HMAC-SHA256) so the same number matches without being stored."""
    return privacy.hash_text(number, key)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1]

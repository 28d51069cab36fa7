"""Which answers are personal data, and how they are masked.

A form says it: the XLSForm's `privacy` survey column (`phone`, `personal`, or `none`), which
compile_upload carries into the XForm as the bind attribute `ds:privacy`. Without it we guess,
so that data already collected stays protected: the device's `phonenumber` metadata, a
`tel`-like appearance, or a question name like a phone number's (`phone`, `mobile`, `msisdn`,
`contact_number`, `simu`...) make a phone field. A guess is a publish warning that asks the
coordinator to mark the question (`none` says "not personal" and silences it).

Masking: a phone answer becomes the keyed hash of its E.164 form (so the same number still
matches across submissions), any other personal answer the keyed hash of its text.
"""
from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

import phonenumbers

from forms.model import Field, FormModel

KINDS = ("phone", "personal", "none")
HASH_PREFIX = "hmac-sha256:"
_BARE_HASH = re.compile(r"[0-9a-f]{64}")
_PHONE_NAME = re.compile(
    r"phone|mobile|msisdn|whatsapp|(?:^|_)simu(?:$|_)|telefono|telefone|t[eé]l[eé]phone|(?:^|_)tel(?:$|_)|"
    r"contact_?(number|no|num|nbr)$|cell_?(number|no)$|cellphone", re.I)
_PHONE_APPEARANCE = re.compile(r"\b(tel|phone|phonenumber)\b", re.I)


@dataclass(frozen=True)
class Personal:
    """A personal field: its kind ("phone" or "personal") and whether the form said so."""

    path: str
    kind: str
    explicit: bool
    reason: str


def classify(field: Field) -> Personal | None:
    """This field's privacy, explicit or guessed; None when it is not personal data."""
    if field.kind in ("group", "repeat"):
        return None
    if field.privacy in ("phone", "personal"):
        return Personal(field.path, field.privacy, True, "marked in the form")
    if field.privacy == "none":
        return None
    if field.preload and field.preload[0] == "property" and field.preload[1] == "phonenumber":
        return Personal(field.path, "phone", False, "the device's phonenumber metadata")
    if (field.type or "string") != "string" or field.control not in ("input", None):
        return None
    if field.appearance and _PHONE_APPEARANCE.search(field.appearance):
        return Personal(field.path, "phone", False, f"its appearance '{field.appearance}'")
    if field.control == "input" and _PHONE_NAME.search(field.name):
        return Personal(field.path, "phone", False, f"its name '{field.name}'")
    return None


def personal_fields(model: FormModel) -> dict[str, Personal]:
    """Every personal field of a form, by absolute path."""
    out = {}
    for field in model.fields:
        found = classify(field)
        if found is not None:
            out[field.path] = found
    return out


def warnings(model: FormModel) -> list[str]:
    """A publish warning per guessed field: it is masked, but the form should say so."""
    return [f"The question '{p.path.rsplit('/', 1)[-1]}' ({p.path}) is treated as a phone "
            f"number because of {p.reason}; its answers are masked. Say so in the survey's "
            "'privacy' column (phone, personal, or none if it is not personal data) to make "
            "this explicit and silence this warning."
            for p in personal_fields(model).values() if not p.explicit]


def check_column(value: str) -> str | None:
    """The normalised `privacy` cell, or None when it is not one of KINDS."""
    normal = value.strip().lower()
    return normal if normal in KINDS else None


def mask(value: str, key: bytes, region: str | None = None) -> str:
    """The keyed hash of a personal answer: of its E.164 form when it is a valid phone number
    (any personal field: a number typed anywhere hashes alike), else of its text. A value that
    is already a hash (ours, or the bare hex of an older one) is kept."""
    if value.startswith(HASH_PREFIX) or _BARE_HASH.fullmatch(value):
        return value
    return hash_text(e164(value, region) or value, key)


def hash_text(text: str, key: bytes) -> str:
    """HMAC-SHA256 under the deployment's key, so the same value matches without being read."""
    return HASH_PREFIX + hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


def e164(text: str, region: str | None = None) -> str | None:
    """A valid phone number in E.164, or None."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

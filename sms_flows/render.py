"""Fit the engine's words to the medium: SMS segments (GSM-7 or UCS-2) and USSD screens.

One character outside GSM-7 makes a whole SMS UCS-2: 160/153 characters per part become
70/67 (Nepali is always UCS-2). Where the channel allows it, curly quotes, dashes and
accents GSM-7 lacks (á í ó ú) are replaced by look-alikes first. Long choice lists are paged
with "0 More" so no reply goes over the budget. A USSD screen, prefix included, holds 182.
A WhatsApp message (through Twilio) holds 1,600 characters, has no segments and keeps every
character as written; a cut never splits an emoji, a flag or a letter from its marks.
"""
from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from forms.model import FormModel

GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM7_EXTENDED = set("^{}\\[~]|€\f")
USSD_LIMIT = 182
WHATSAPP_LIMIT = 1600  # Twilio's Body limit; counted in UTF-16 units, as an emoji costs two
_LOOKALIKES = {
    "‘": "'", "’": "'", "‚": "'", "‛": "'", "“": '"', "”": '"', "„": '"', "«": '"', "»": '"',
    "–": "-", "—": "-", "‐": "-", "…": "...", "\u00a0": " ", "•": "-", "ç": "c", "`": "'",
}


@dataclass(frozen=True)
class Segments:
    """How an SMS travels: its encoding, parts and characters per part."""

    encoding: str  # "GSM-7" | "UCS-2"
    count: int
    per_part: int


def is_gsm7(text: str) -> bool:
    """Whether every character is in the GSM-7 alphabet (basic or extension table)."""
    return all(c in GSM7_BASIC or c in GSM7_EXTENDED for c in text)


def gsm_lookalike(text: str) -> str:
    """Replace characters GSM-7 lacks by look-alikes where one exists (á -> a, ” -> ")."""
    out = []
    for c in text:
        if c in GSM7_BASIC or c in GSM7_EXTENDED:
            out.append(c)
        elif c in _LOOKALIKES:
            out.append(_LOOKALIKES[c])
        else:
            base = unicodedata.normalize("NFD", c)[0]
            out.append(base if base != c and (base in GSM7_BASIC) else c)
    return "".join(out)


def segments(text: str) -> Segments:
    """Parts and encoding of one SMS: GSM-7 160/153 per part, UCS-2 70/67."""
    if is_gsm7(text):
        units = len(text) + sum(1 for c in text if c in GSM7_EXTENDED)
        single, multi, encoding = 160, 153, "GSM-7"
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, multi, encoding = 70, 67, "UCS-2"
    if units <= single:
        return Segments(encoding, 1 if units else 0, single)
    return Segments(encoding, -(-units // multi), multi)


def prepare_sms(text: str, lookalikes: bool) -> str:
    """The text to send: look-alikes applied when the channel allows them."""
    return gsm_lookalike(text) if lookalikes else text


def sms_fits(budget: int, lookalikes: bool = False) -> Callable[[str], bool]:
    """A test that a reply fits in `budget` SMS parts."""
    return lambda text: segments(prepare_sms(text, lookalikes)).count <= budget


def whatsapp_fits(text: str) -> bool:
    """Whether a text fits one WhatsApp message."""
    return len(text.encode("utf-16-le")) // 2 <= WHATSAPP_LIMIT


def ussd_fits(text: str) -> bool:
    """Whether a USSD body fits one screen with its "CON " prefix."""
    return len(text) + 4 <= USSD_LIMIT


def pages(header: str, options: Sequence[str], more: str,
          fits: Callable[[str], bool], intro: str = "") -> list[str]:
    """The prompt split so each page fits: the header, the options that fit, "0 More".
    `intro` (how to answer) follows the header on the first page only."""
    first = f"{header}\n{intro}" if intro else header
    whole = "\n".join([first, *options])
    if fits(whole) or not options:
        return [whole]
    out: list[str] = []
    current: list[str] = []
    for option in options:
        top = header if out else first
        if current and not fits("\n".join([top, *current, option, more])):
            out.append("\n".join([top, *current, more]))
            current = []
        current.append(option)
    out.append("\n".join([header if out else first, *current]))
    return out


def truncate(text: str, fits: Callable[[str], bool]) -> str:
    """The longest prefix of text, ending in "…", that fits."""
    if fits(text):
        return text
    low, high = 0, len(text)
    while low < high:
        mid = (low + high + 1) // 2
        if fits(text[:mid] + "…"):
            low = mid
        else:
            high = mid - 1
    return text[:safe_cut(text, low)].rstrip() + "…"


def safe_cut(text: str, index: int) -> int:
    """The nearest cut at or before `index` that splits no character sequence people see as
    one: a letter and its marks (Devanagari vowel signs and conjuncts too), an emoji with its
    skin tone, variation selector or keycap, a ZWJ sequence, a flag's two regional
    indicators."""
    while 0 < index < len(text):
        if _extends(text[index]) or text[index - 1] in _JOINERS:
            index -= 1
        elif _is_regional(text[index]) and _regional_run(text, index) % 2:
            index -= 1
        else:
            break
    return index


# ZWJ joins emoji; the Devanagari virama joins a consonant to the next (a conjunct, क्ष).
_JOINERS = {"\u200d", "\u094d"}


def _first_cluster(text: str) -> int:
    end = 1
    while end < len(text) and safe_cut(text, end) != end:
        end += 1
    return end


def _extends(char: str) -> bool:
    code = ord(char)
    return (unicodedata.category(char) in ("Mn", "Mc", "Me") or char == "\u200d"
            or 0xFE00 <= code <= 0xFE0F or 0x1F3FB <= code <= 0x1F3FF
            or 0xE0020 <= code <= 0xE007F)


def _is_regional(char: str) -> bool:
    return 0x1F1E6 <= ord(char) <= 0x1F1FF


def _regional_run(text: str, index: int) -> int:
    """How many regional indicators stand right before `index`."""
    count = 0
    while index - count > 0 and _is_regional(text[index - count - 1]):
        count += 1
    return count


def split(text: str, fits: Callable[[str], bool]) -> list[str]:
    """Text cut at line breaks, else spaces, into pieces that each fit (a word never cut
    unless it alone is too long)."""
    if fits(text):
        return [text]
    out: list[str] = []
    current = ""
    for token in _tokens(text):
        if current and not fits(current + token):
            out.append(current.rstrip())
            current = token.lstrip()
        else:
            current += token
        while not fits(current):  # one word longer than a whole message
            cut = truncate(current, fits)[:-1] or current[:_first_cluster(current)]
            out.append(cut)
            current = current[len(cut):]
    if current.strip():
        out.append(current.rstrip())
    return out


def _tokens(text: str) -> list[str]:
    tokens: list[str] = []
    for line in text.split("\n"):
        words = line.split(" ")
        tokens.append(("\n" if tokens else "") + words[0])
        tokens.extend(" " + w for w in words[1:])
    return tokens


def ussd_fit_warnings(model: FormModel) -> list[str]:
    """Labels too long for a USSD screen in some language (with one choice and "0 More")."""
    warnings = []
    for f in model.fields:
        if f.kind != "question":
            continue
        for lang, label in (f.labels or {}).items():
            shortest = min((len(c.labels.get(lang, c.name)) for c in f.choices), default=0)
            needed = len(label) + (len("\n1. \n0 More") + shortest if f.choices else 0)
            if needed + 4 > USSD_LIMIT:
                warnings.append(
                    f"Question '{f.name}' in {lang or 'the default language'} needs {needed} "
                    f"characters; a USSD screen holds {USSD_LIMIT - 4} after 'CON ', so it is "
                    "shown over several screens ('0 More').")
    return warnings

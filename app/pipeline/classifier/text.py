"""Tokenising, language detection and light per-language stemming for the SDG classifier."""

from __future__ import annotations

import re
import unicodedata

LANGS = ("en", "es", "sw", "ne")

# Bounded cost (issue 12): every feature is linear in the text's length, and that length is
# capped. A word is cut at MAX_TOKEN_CHARS (no language we read has longer words; the prefix
# index would grow with the square of a 5 MB "word"), and a text longer than MAX_TEXT_CHARS is
# classified on its first MAX_TEXT_CHARS characters (the benchmark's longest text has ~1,300).
MAX_TOKEN_CHARS = 40
MAX_TEXT_CHARS = 20_000

# Devanagari letters and their combining vowel signs; the danda (U+0964/5) is punctuation.
_TOKEN = re.compile(r"(?:[^\W_]|[\u0900-\u0963\u0966-\u097F])+")
_DEVANAGARI = re.compile(r"[\u0900-\u097F]")
_LATIN = re.compile(r"[A-Za-zÀ-ÿ]")
_FORM_LANG = re.compile(r"\(([A-Za-z]{2,3})(?:[-_][A-Za-z]+)?\)")
_ES_MARKS = re.compile(r"[áéíóúñ¿¡]", re.I)
_SW_PREFIXES = (
    "wa",
    "ki",
    "vi",
    "ku",
    "kw",
    "ha",
    "ma",
    "mw",
    "ny",
    "ime",
    "ali",
    "ana",
    "wana",
    "hai",
    "hau",
)

STOPWORDS: dict[str, frozenset[str]] = {
    "en": frozenset(
        "a an the and or of to in on at for with by from is are was were be been being it its this"
        " that these those as not no but if then than so such there their they them he she his her"
        " we our you your i me my has have had do does did will would can could should may might"
        " must which who whom what when where why how all any each more most other some into over"
        " under about also only very just between through during out up down off again further"
        " while both own same too per via among upon".split()
    ),
    "es": frozenset(
        "el la los las un una unos unas y o u de del al a en con por para sin sobre entre es son"
        " fue era ser estar esta este estos estas ese esa eso que quien cual como cuando donde no"
        " se su sus le les lo me te mi mis tu nos muy mas más pero si hay tiene tienen han ha"
        " porque también tambien cada todo todos toda todas otro otra hasta desde e ni".split()
    ),
    "sw": frozenset(
        "na ya wa za la cha vya kwa katika ni si kama lakini au pia hii hiyo huo hizi hao huu ile"
        " yake zake wake lake chake vyake yao wao sisi mimi wewe yeye hata bado sana tu hakuna"
        " kuna kwamba ambao ambayo ambaye ili hadi kutoka mpaka baada kabla kila zote wote yote"
        " nini nani lini wapi vipi kuwa kwenye ndani juu chini huko hapa pale".split()
    ),
    "ne": frozenset(
        "र वा पनि को का की ले लाई मा बाट सँग छ छन् छैन हो होइन थियो थिए यो त्यो यी ती एक"
        " गर्न गरेको गरे भएको हुन्छ हुने तर भने जस्तै अनि".split()
    ),
}

_NE_SUFFIXES = (
    "हरूलाई",
    "हरूको",
    "हरूमा",
    "हरूले",
    "हरूबाट",
    "हरू",
    "लाई",
    "बाट",
    "सँग",
    "देखि",
    "सम्म",
    "भित्र",
    "को",
    "का",
    "की",
    "मा",
    "ले",
)
NE_POSTPOSITIONS = ("मा", "को", "का", "की", "ले", "लाई", "बाट", "हरू", "सँग")
_SW_SUFFIXES = ("ishwa", "ishwe", "ika", "eka", "iwa", "ewa", "wa")
_ES_SUFFIXES = (
    "amientos",
    "imientos",
    "amiento",
    "imiento",
    "aciones",
    "uciones",
    "acion",
    "ucion",
    "idades",
    "idad",
    "mente",
    "ismos",
    "ismo",
    "istas",
    "ista",
    "ables",
    "ibles",
    "able",
    "ible",
    "ores",
    "oras",
    "ora",
    "or",
    "es",
    "as",
    "os",
    "a",
    "o",
    "s",
    "e",
)
_EN_SUFFIXES = (
    "ational",
    "ization",
    "ations",
    "ation",
    "nesses",
    "ness",
    "ments",
    "ment",
    "ities",
    "ity",
    "ings",
    "ing",
    "ies",
    "ied",
    "ers",
    "er",
    "ed",
    "es",
    "ly",
    "al",
    "s",
)


def fold(text: str) -> str:
    """Lower-case and strip Latin accents (Devanagari is left intact)."""
    text = unicodedata.normalize("NFC", text.lower())
    out = []
    for ch in text:
        if "\u00c0" <= ch <= "\u024f":
            ch = unicodedata.normalize("NFD", ch)[0]
        out.append(ch)
    return "".join(out)


def tokens(text: str) -> list[str]:
    """Folded word tokens of a text's first MAX_TEXT_CHARS characters, punctuation and hyphens
    dropped, each cut at MAX_TOKEN_CHARS."""
    return [t[:MAX_TOKEN_CHARS] for t in _TOKEN.findall(fold(text[:MAX_TEXT_CHARS]))]


def language_code(lang: str | None) -> str | None:
    """One of LANGS from a code or XLSForm label ("sw", "sw-KE", "Kiswahili (sw)"), else None."""
    if not lang:
        return None
    found = _FORM_LANG.search(lang)
    code = (found.group(1) if found else lang).strip().lower()[:2]
    return code if code in LANGS else None


def detect_language(text: str) -> str:
    """Best guess among en/es/sw/ne: Devanagari script means ne, else stopword counts."""
    text = text[:MAX_TEXT_CHARS]
    dev = len(_DEVANAGARI.findall(text))
    if dev and dev >= len(_LATIN.findall(text)):
        return "ne"
    toks = tokens(text)
    counts = {lang: sum(t in STOPWORDS[lang] for t in toks) for lang in ("en", "es", "sw")}
    if not toks:
        return "en"
    # Swahili noun-class and verb prefixes are a strong cue when stopwords are few (SMS).
    counts["sw"] += sum(t.startswith(_SW_PREFIXES) for t in toks) / 4
    counts["es"] += sum(t.endswith(("cion", "dad")) for t in toks) + len(_ES_MARKS.findall(text))
    best = max(counts, key=lambda lang: (counts[lang], lang == "en"))
    return best if counts[best] > 0 else "en"


def stem(token: str, lang: str) -> str:
    """Strip one common inflectional/derivational suffix, keeping a stem of 3+ letters."""
    suffixes = {"en": _EN_SUFFIXES, "es": _ES_SUFFIXES, "sw": _SW_SUFFIXES, "ne": _NE_SUFFIXES}[
        lang
    ]
    keep = 2 if lang == "ne" else 3
    if lang == "en" and token.endswith(("ss", "us", "is")):
        return token
    for suffix in suffixes:
        if token.endswith(suffix) and len(token) - len(suffix) >= keep:
            token = token[: -len(suffix)]
            if lang == "en" and suffix in ("ies", "ied"):
                token += "y"
            break
    if lang == "en" and len(token) > 4 and token.endswith("e"):
        token = token[:-1]
    return token


def content_stems(text: str, lang: str) -> list[str]:
    """Stems of the non-stopword tokens of a text."""
    return stems_of(tokens(text), lang)


def stems_of(words: list[str], lang: str) -> list[str]:
    """Stems of the non-stopword tokens among `words` (already `tokens`)."""
    stop = STOPWORDS[lang]
    return [stem(t, lang) for t in words if t not in stop and not t.isdigit()]

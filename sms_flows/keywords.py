"""Command words (STOP, HELP, BACK...) in English, Kiswahili, Spanish, Nepali; per-project words.

MYDATA and DELETE are a citizen's rights over what we hold about their number (rights.py):
the app answers them before the engine, whatever survey is open.

Matching folds case and Latin accents (ATRÁS = atras), trims punctuation around the word and
collapses spaces. Devanagari is compared as written (after NFC): its vowel signs and virama
carry meaning and are never stripped.
"""
from __future__ import annotations

import json
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

STOP = "stop"
START = "start"
HELP = "help"
BACK = "back"
SKIP = "skip"
RESTART = "restart"
LANGUAGE = "language"
MYDATA = "mydata"
DELETE = "delete"
COMMANDS = (STOP, START, HELP, BACK, SKIP, RESTART, LANGUAGE, MYDATA, DELETE)
RIGHTS = (MYDATA, DELETE)

# The usual carrier opt-out family first (STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT).
DEFAULT_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    STOP: {
        "en": ("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"),
        "sw": ("ACHA", "SITISHA", "KOMESHA"),
        "es": ("ALTO", "BAJA", "CANCELAR", "PARAR"),
        "ne": ("रोक", "बन्द"),
    },
    START: {
        "en": ("START", "UNSTOP", "SUBSCRIBE"),
        "sw": ("ANZA",),
        "es": ("INICIO", "ALTA"),
        "ne": ("सुरु",),
    },
    HELP: {"en": ("HELP", "INFO"), "sw": ("MSAADA",), "es": ("AYUDA",), "ne": ("मद्दत",)},
    BACK: {"en": ("BACK",), "sw": ("RUDI",), "es": ("ATRAS", "VOLVER"), "ne": ("पछाडि",)},
    SKIP: {"en": ("SKIP",), "sw": ("RUKA",), "es": ("SALTAR",), "ne": ("छोड",)},
    RESTART: {
        "en": ("RESTART",), "sw": ("ANZA UPYA",), "es": ("REINICIAR",), "ne": ("फेरि सुरु",),
    },
    LANGUAGE: {
        "en": ("LANGUAGE", "LANG"), "sw": ("LUGHA",), "es": ("IDIOMA",), "ne": ("भाषा",),
    },
    MYDATA: {
        "en": ("MYDATA", "MY DATA"), "sw": ("TAARIFA ZANGU", "DATA ZANGU"),
        "es": ("MISDATOS", "MIS DATOS"), "ne": ("मेरो विवरण", "मेरो डाटा"),
    },
    DELETE: {"en": ("DELETE",), "sw": ("FUTA",), "es": ("BORRAR",), "ne": ("मेटाउ",)},
}

_PUNCTUATION = " \t\r\n.!?,;:'\"()[]{}¡¿-_*#"


@dataclass(frozen=True)
class CommandMatch:
    """A message that is a command; `argument` is what followed a LANGUAGE word ("LANG sw")."""

    command: str
    argument: str = ""


def fold(text: str) -> str:
    """Case- and accent-folded text with single spaces, for comparing words people type."""
    decomposed = unicodedata.normalize("NFD", text.strip(_PUNCTUATION))
    kept: list[str] = []
    base_is_latin = False
    for char in decomposed:
        if unicodedata.combining(char):
            if base_is_latin:
                continue  # an accent on a Latin letter: á → a
        else:
            base_is_latin = char < "\u0250"
        kept.append(char)
    folded = unicodedata.normalize("NFC", "".join(kept)).casefold()
    return " ".join(folded.split())


_TABLES: dict[str, dict[str, str]] = {}


def word_table(overrides: Mapping[str, object] | None = None) -> dict[str, str]:
    """Folded word → command, from the defaults and a project's `smsCommands` setting.

    `overrides` maps a command to a list of words (replacing every default word of that
    command) or to `{"language": [words]}` (replacing that language's words only).
    Tables are built once per distinct `overrides` (the engine asks at every step); the
    returned dict is shared: read it, do not change it.
    """
    key = json.dumps(overrides or {}, sort_keys=True, default=str)
    table = _TABLES.get(key)
    if table is None:
        if len(_TABLES) > 256:
            _TABLES.clear()
        table = _TABLES[key] = _build_table(overrides)
    return table


def _build_table(overrides: Mapping[str, object] | None) -> dict[str, str]:
    table: dict[str, tuple[str, ...]] = {}
    for command, by_language in DEFAULT_WORDS.items():
        words = dict(by_language)
        override = (overrides or {}).get(command)
        if isinstance(override, list | tuple):
            words = {"custom": tuple(str(w) for w in override)}
        elif isinstance(override, Mapping):
            words.update({lang: tuple(str(w) for w in ws) for lang, ws in override.items()})
        table[command] = tuple(w for ws in words.values() for w in ws)
    result: dict[str, str] = {}
    for command, words in table.items():
        for word in words:
            result.setdefault(fold(word), command)
    return result


_DEFAULT_TABLE = word_table()


def match_command(text: str, table: Mapping[str, str] | None = None) -> CommandMatch | None:
    """The command this whole message is, or None (an answer like "stop sign" is no command)."""
    folded = fold(text)
    if not folded:
        return None
    words = table if table is not None else _DEFAULT_TABLE
    command = words.get(folded)
    if command is not None:
        return CommandMatch(command)
    head, _, rest = folded.partition(" ")
    if rest and words.get(head) == LANGUAGE:
        return CommandMatch(LANGUAGE, rest)
    return None

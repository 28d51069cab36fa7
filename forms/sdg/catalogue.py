"""The SDG catalogue: goals, targets and indicators with titles in en, es, sw and ne."""

from __future__ import annotations

import csv
import re
from functools import cache
from pathlib import Path

import yaml

LANGUAGES: tuple[str, ...] = ("en", "es", "sw", "ne")
DATA_DIR = Path(__file__).parent / "data" / "catalogue"
FRAMEWORK_2025 = DATA_DIR / "un-global-indicator-framework-2025.csv"

_KEY = re.compile(r"^(\d+)(?:-([0-9a-z]+))?(?:-([0-9a-z]+))?-title$")
_CSV_TARGET = re.compile(r"^\s*(\d+\.[0-9a-z]+)\s+(.*)$", re.S)
_CSV_INDICATOR = re.compile(r"^\s*(\d+\.[0-9a-z]+\.\d+)\s+(.*)$", re.S)
_CSV_GOAL = re.compile(r"^\s*Goal\s+(\d+)\.\s+(.*)$", re.S)
_CODE = re.compile(r"^(\d+)(?:\.([0-9a-z]+))?(?:\.([0-9a-z]+))?$")


class UnknownSdgCode(ValueError):
    """A code that names no goal, target or indicator in the catalogue."""


def _clean(text: str) -> str:
    return " ".join(str(text).split())


# The UN framework's spreadsheet keeps its footnote markers glued to the words they annotate
# ("its impacts3", "by speed4"): a digit right after a lowercase letter at the end of a title.
_FOOTNOTE = re.compile(r"(?<=[a-z])\d{1,2}$")


def _official(text: str) -> str:
    """A title from the 2025 framework CSV without its footnote marker."""
    return _FOOTNOTE.sub("", _clean(text))


@cache
def _load() -> dict[str, dict[str, dict[str, str]]]:
    """Merge the translated YAML catalogue (pre-2025) with the 2025 UN framework CSV."""
    tables: dict[str, dict[str, dict[str, str]]] = {"goals": {}, "targets": {}, "indicators": {}}
    for lang in LANGUAGES:
        for kind in tables:
            path = DATA_DIR / lang / f"global_{kind}.yml"
            with path.open(encoding="utf-8") as f:
                data = yaml.safe_load(f) or {}
            for key, value in data.items():
                m = _KEY.match(str(key))
                if m is None or value is None:
                    continue
                code = ".".join(p for p in m.groups() if p)
                tables[kind].setdefault(code, {})[lang] = _clean(value)
    # The 2025 review is authoritative for English wording and adds new indicators.
    with FRAMEWORK_2025.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))[3:]
    for row in rows:
        if len(row) < 3:
            continue
        if m := _CSV_GOAL.match(row[1]):
            tables["goals"].setdefault(m.group(1), {})["en"] = _official(m.group(2))
        elif m := _CSV_TARGET.match(row[1]):
            tables["targets"].setdefault(m.group(1), {})["en"] = _official(m.group(2))
        if m := _CSV_INDICATOR.match(row[2]):
            tables["indicators"].setdefault(m.group(1), {})["en"] = _official(m.group(2))
    return tables


def goals() -> dict[int, dict[str, str]]:
    """Goal number -> {language: title}."""
    return {int(code): titles for code, titles in _load()["goals"].items()}


def targets() -> dict[str, dict[str, str]]:
    """Target code ("5.2") -> {language: title}."""
    return _load()["targets"]


def indicators() -> dict[str, dict[str, str]]:
    """Indicator code ("5.2.1") -> {language: title}; pre-2025 and 2025 codes both present."""
    return _load()["indicators"]


def normalise_code(code: str) -> str:
    """Canonical spelling of one code: "5.B.1" -> "5.b.1", "05.2" -> "5.2"."""
    parts = code.strip().strip(".").lower().split(".")
    return ".".join(str(int(p)) if p.isdigit() else p for p in parts)


def parse_codes(cell: str | None) -> tuple[str, ...]:
    """Split a cell of space- or comma-separated codes into normalised codes, in order, unique."""
    if cell is None:
        return ()
    tokens = re.split(r"[\s,;]+", str(cell))
    seen: dict[str, None] = {}
    for token in tokens:
        if token.strip().strip("."):
            seen[normalise_code(token)] = None
    return tuple(seen)


def split_code(code: str) -> tuple[int, str | None, str | None]:
    """Split "5.b.1" into (5, "5.b", "5.b.1"); raise UnknownSdgCode if it is not code-shaped."""
    m = _CODE.match(normalise_code(code))
    if m is None:
        raise UnknownSdgCode(code)
    goal, target, indicator = m.groups()
    target_code = f"{goal}.{target}" if target else None
    indicator_code = f"{target_code}.{indicator}" if indicator else None
    return int(goal), target_code, indicator_code


def is_known_code(code: str) -> bool:
    """True when the code names a goal, target or indicator of either indicator list."""
    try:
        goal, target, indicator = split_code(code)
    except UnknownSdgCode:
        return False
    if indicator is not None:
        return indicator in indicators()
    if target is not None:
        return target in targets()
    return goal in goals()


def describe(code: str, lang: str = "en") -> str:
    """Title of a goal, target or indicator in `lang`, falling back to English."""
    if not is_known_code(code):
        raise UnknownSdgCode(code)
    goal, target, indicator = split_code(code)
    if indicator is not None:
        titles = indicators()[indicator]
    elif target is not None:
        titles = targets()[target]
    else:
        titles = goals()[goal]
    return titles.get(lang) or titles["en"]

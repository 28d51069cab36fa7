"""SDG tags for a cleaned record: exact ones from the form's mapping, suggested ones from text."""
from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass
from typing import Any, Protocol

from app.pipeline.clean import iter_values
from app.pipeline.fields import FormSpec
from forms.sdg.catalogue import UnknownSdgCode, split_code

log = logging.getLogger(__name__)
_LETTERS = re.compile(r"[^\W\d_]{2,}")


@dataclass(frozen=True, order=True)
class Tag:
    """One tag; absent target, indicator or field are None."""

    goal: int
    target: str | None
    indicator: str | None
    source: str  # form | model
    field: str | None
    score: float
    version: str

    @property
    def key(self) -> tuple:
        return (self.goal, self.target, self.indicator, self.source, self.field)

    def to_json(self) -> dict[str, Any]:
        return {"goal": self.goal, "target": self.target, "indicator": self.indicator,
                "source": self.source, "score": self.score, "field": self.field,
                "version": self.version}


class Classifier(Protocol):
    version: str

    def classify(self, text: str, lang: str | None = None) -> list[Any]: ...


_classifier: Classifier | None = None


def set_classifier(classifier: Classifier | None) -> None:
    """Use this classifier from now on (tests inject a small fake; None reloads the real one)."""
    global _classifier
    _classifier = classifier


def get_classifier() -> Classifier:
    """The free-text classifier, loaded once per process."""
    global _classifier
    if _classifier is None:
        from app.pipeline.classifier import load_classifier

        _classifier = load_classifier()
    return _classifier


def tags_key(mapping: dict[str, Any], classifier_version: str) -> str:
    """What the tags depend on besides the answers; a change means they must be remade."""
    blob = json.dumps([mapping or {}, classifier_version], sort_keys=True)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:32]


def _code_tags(codes: list[str], field: str | None, version: str) -> list[Tag]:
    tags = []
    for code in codes:
        try:
            goal, target, indicator = split_code(code)
        except UnknownSdgCode:
            log.warning("skipping malformed SDG code %r on %s", code, field or "the form")
            continue
        tags.append(Tag(goal, target, indicator, "form", field, 1.0, version))
    return tags


def mapping_tags(mapping: dict[str, Any], record: dict[str, Any], version: str) -> list[Tag]:
    """Form-level codes always; a question's when answered; a choice's when selected."""
    answered: dict[str, list[Any]] = {}
    for path, value in iter_values(record):
        if value not in (None, "", []):
            answered.setdefault(path, []).append(value)
    tags = _code_tags(mapping.get("form", []), None, version)
    for path, codes in (mapping.get("questions") or {}).items():
        prefix = path.rstrip("/") + "/"
        if path in answered or any(p.startswith(prefix) for p in answered):
            tags += _code_tags(codes, path, version)
    for item in mapping.get("choices") or []:
        path, choice = item["path"], str(item["choice"])
        selected = any(choice == v or (isinstance(v, list) and choice in v)
                       for v in answered.get(path, []))
        if selected:
            tags += _code_tags(item["codes"], path, version)
    return tags


def text_tags(spec: FormSpec, record: dict[str, Any], classifier: Classifier) -> list[Tag]:
    """The classifier's goals for each free-text answer (text and "other, specify")."""
    tags = []
    for path, value in iter_values(record):
        fspec = spec.fields.get(path)
        if fspec is None or not fspec.is_free_text or not isinstance(value, str):
            continue
        if not _LETTERS.search(value):
            continue
        for scored in classifier.classify(value):
            tags.append(Tag(int(scored.goal), None, None, "model", path,
                            round(float(scored.score), 4), classifier.version))
    return tags


def unique(tags: list[Tag]) -> list[Tag]:
    """One tag per key (the table's unique key), keeping the highest score."""
    best: dict[tuple, Tag] = {}
    for tag in tags:
        if tag.key not in best or tag.score > best[tag.key].score:
            best[tag.key] = tag
    return sorted(best.values(), key=lambda t: (t.source, t.goal, t.target or "",
                                                t.indicator or "", t.field or ""))

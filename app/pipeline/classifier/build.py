"""Build the shipped artefact from the catalogue, Aurora queries, SDSN keywords and the benchmark.

Run `python bench/train_classifier.py`. Build-time only (reads YAML/XML); run time reads JSON.
"""

from __future__ import annotations

import csv
import gzip
import json
import math
from collections import Counter
from pathlib import Path
from typing import Any

import yaml
from defusedxml import ElementTree

from app.pipeline.classifier.fit import fit_logistic
from app.pipeline.classifier.lexicon import CITIZEN_LEXICON
from app.pipeline.classifier.model import GOALS, SdgClassifier, _tfidf, design_rows
from app.pipeline.classifier.query import compile_query
from app.pipeline.classifier.text import LANGS, NE_POSTPOSITIONS, content_stems, fold, tokens

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "forms" / "sdg" / "data"
BENCHMARK = ROOT / "bench" / "data" / "sdg_benchmark.csv"
ARTEFACT = Path(__file__).with_name("sdg_model.json.gz")
_AQD = "{http://aurora-network.global/queries/namespace/}"


def aurora_queries(data: Path = DATA) -> dict[int, list[list]]:
    """Compiled Aurora query lines per goal (one line = one piece of evidence)."""
    out = {}
    for g in GOALS:
        root = ElementTree.parse(data / "keywords" / "aurora" / f"query_SDG{g}.xml").getroot()
        out[g] = [
            compile_query(line.text)
            for line in root.iter(f"{_AQD}query-line")
            if line.get("field") == "TITLE-ABS-KEY" and line.text and line.text.strip()
        ]
    return out


def _aurora_words(node: list) -> list[str]:
    if node[0] == "t":
        return [w.rstrip("*") for w in node[1]]
    children = node[2:] if node[0] == "w" else node[1:]
    return [w for child in children for w in _aurora_words(child)]


def sdsn_keywords(data: Path = DATA) -> dict[int, list[list[str]]]:
    """SDSN keyword phrases per goal, as folded word lists."""
    out: dict[int, list[list[str]]] = {g: [] for g in GOALS}
    with open(data / "keywords" / "sdsn_keywords.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            words = tokens(row["keyword"])
            if words and row["goal"].strip().isdigit():
                out[int(row["goal"])].append(words)
    return out


def catalogue(lang: str, data: Path = DATA) -> tuple[dict[int, list[str]], list[tuple[int, str]]]:
    """Goal documents (all titles of a goal) and target documents (target + its indicators)."""
    goals: dict[int, list[str]] = {g: [] for g in GOALS}
    targets: dict[str, list[str]] = {}
    for kind in ("goals", "targets", "indicators"):
        path = data / "catalogue" / lang / f"global_{kind}.yml"
        for key, title in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).items():
            parts = str(key).split("-")
            if not parts[0].isdigit() or not title or int(parts[0]) not in goals:
                continue
            goals[int(parts[0])].append(str(title))
            if kind != "goals":
                targets.setdefault("-".join(parts[:2]), []).append(str(title))
    return goals, [(int(k.split("-")[0]), " ".join(v)) for k, v in sorted(targets.items())]


def _lexicon_phrases(lang: str) -> dict[int, list[list[str]]]:
    out = {}
    for g, entries in CITIZEN_LEXICON[lang].items():
        phrases = []
        for entry in entries.split():
            words = [fold(w) for w in entry.split("_")]
            if lang == "ne":
                # Postpositions attach to the word; two-letter words (मल, वन) only take known ones.
                words = [w if w.endswith("*") or len(w) < 3 else w + "*" for w in words]
                if len(words) == 1 and len(words[0]) < 3:
                    phrases.extend([words[0] + p] for p in ("", *NE_POSTPOSITIONS))
                    continue
            phrases.append(words)
        out[g] = phrases
    return out


def _phrase_stems(phrases: list[list[str]], lang: str) -> list[str]:
    return content_stems(" ".join(w.rstrip("*") for ws in phrases for w in ws), lang)


def build_knowledge(data: Path = DATA) -> dict[str, Any]:
    """Everything the classifier knows without seeing the benchmark."""
    aurora = aurora_queries(data)
    sdsn = sdsn_keywords(data)
    langs = {}
    for lang in LANGS:
        goal_texts, target_texts = catalogue(lang, data)
        lexicon = _lexicon_phrases(lang)
        goal_stems = {}
        for g in GOALS:
            stems = content_stems(" ".join(goal_texts[g]), lang) + _phrase_stems(lexicon[g], lang)
            if lang == "en":
                stems += _phrase_stems(sdsn[g], lang)
                stems += content_stems(
                    " ".join(w for n in aurora[g] for w in _aurora_words(n)), lang
                )
            goal_stems[g] = stems
        df = Counter(s for stems in goal_stems.values() for s in set(stems))
        idf = {s: round(math.log(len(GOALS) / n), 4) for s, n in df.items() if n < len(GOALS)}
        langs[lang] = {
            "idf": idf,
            "goals": {g: _rounded(_tfidf(goal_stems[g], idf)) for g in GOALS},
            "targets": [
                (g, _rounded(_tfidf(content_stems(t, lang), idf))) for g, t in target_texts
            ],
            "sdsn": sdsn if lang == "en" else {},
            "lexicon": lexicon,
        }
    return {"aurora": aurora, "langs": langs}


def _rounded(vec: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 4) for k, v in vec.items() if abs(v) >= 1e-4}


def untrained(knowledge: dict[str, Any]) -> SdgClassifier:
    """A classifier over the knowledge with a zero logistic layer (for computing features)."""
    n = len(design_rows({g: [0.0] * 5 for g in GOALS}, 0)[1])
    logistic = {"weights": [0.0] * n, "bias": [0.0] * len(GOALS)}
    shipped_form = json.loads(json.dumps(knowledge))  # as run time sees it: string keys
    return SdgClassifier({**shipped_form, "logistic": logistic, "threshold": 0.5}, "untrained")


def benchmark_rows(path: Path = BENCHMARK) -> list[dict[str, str]]:
    """The benchmark rows: id, text, sdg, label."""
    with open(path, encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def benchmark_features(
    clf: SdgClassifier, rows: list[dict[str, str]]
) -> list[dict[int, list[float]]]:
    """Raw features of every benchmark text (English)."""
    return [clf.raw_features(r["text"], "en") for r in rows]


def training_set(
    raws: list[dict[int, list[float]]], rows: list[dict[str, str]]
) -> tuple[list[list[float]], list[int], list[int]]:
    """Logistic inputs, labels and goal index (0-based) for each benchmark row."""
    x, y, groups = [], [], []
    for raw, row in zip(raws, rows, strict=True):
        g = int(row["sdg"])
        x.append(design_rows(raw, len(tokens(row["text"])))[g])
        y.append(1 if row["label"].strip().lower() == "true" else 0)
        groups.append(g - 1)
    return x, y, groups


def build(out: Path = ARTEFACT) -> dict[str, Any]:
    """Build knowledge, fit the logistic layer on all benchmark rows, write the artefact."""
    knowledge = build_knowledge()
    rows = benchmark_rows()
    x, y, groups = training_set(benchmark_features(untrained(knowledge), rows), rows)
    weights, bias = fit_logistic(x, y, groups, len(GOALS))
    artefact = {
        **knowledge,
        "logistic": {
            "weights": [round(w, 5) for w in weights],
            "bias": [round(b, 5) for b in bias],
        },
        "threshold": 0.5,
    }
    payload = json.dumps(artefact, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    out.write_bytes(gzip.compress(payload.encode("utf-8"), mtime=0))
    return artefact

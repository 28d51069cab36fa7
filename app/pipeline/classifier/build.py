"""Build the shipped artefact from the catalogue, Aurora queries, SDSN keywords and the benchmark.

Run `python bench/train_classifier.py`. Build-time only (reads YAML/XML); run time reads JSON.

The benchmark is used twice, and both uses are what bench/classifier.py cross-validates:
its English texts become per-goal "yes" and "no" centroids (two features of the "en" layer), and
its labels fit the logistic layers. To fit a layer on centroid features without leaking labels,
each row's centroid features come from centroids built without that row's fold (stacking).
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

from app.pipeline.classifier.fit import fit_layer, fit_logistic, fold_of
from app.pipeline.classifier.lexicon import CITIZEN_LEXICON
from app.pipeline.classifier.model import (
    BASE_CONFIDENT,
    FEATURES,
    GOALS,
    SdgClassifier,
    _BenchTables,
    _tfidf,
    design_rows,
)
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
    """A classifier over the knowledge with zero layers (for computing knowledge features)."""
    shipped_form = json.loads(json.dumps(knowledge))  # as run time sees it: string keys
    n = len(design_rows({g: [0.0] * 5 for g in GOALS}, 0)[1])
    layers = {"base": {"weights": [0.0] * n, "bias": [0.0] * len(GOALS)}}
    return SdgClassifier({**shipped_form, "layers": layers, "threshold": 0.5}, "untrained")


def benchmark_rows(path: Path = BENCHMARK) -> list[dict[str, str]]:
    """The benchmark rows: id, text, sdg, label."""
    with open(path, encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


class Benchmark:
    """The benchmark rows with what every experiment needs: labels, goals, stems, features."""

    def __init__(self, rows: list[dict[str, str]], clf: SdgClassifier) -> None:
        self.rows = rows
        self.texts = [r["text"] for r in rows]
        self.goals = [int(r["sdg"]) for r in rows]
        self.labels = [1 if r["label"].strip().lower() == "true" else 0 for r in rows]
        self.stems = [content_stems(t, "en") for t in self.texts]
        self.raws = [clf.raw_features(t, "en") for t in self.texts]

    def fold(self, i: int, salt: str, k: int = 5) -> int:
        """Fold of row i; by text, so a text repeated under two ids is never split."""
        return fold_of(salt + self.texts[i], k)

    def tables(self, rows: list[int]) -> dict[str, Any]:
        """Benchmark tables (idf, yes/no centroids per goal) from these rows only."""
        return bench_tables([self.stems[i] for i in rows], [self.labels[i] for i in rows],
                            [self.goals[i] for i in rows])

    def cosines(self, tables: dict[str, Any], rows: list[int]) -> dict[int, list[float]]:
        """Each row's two benchmark cosines for its own goal."""
        bt = _BenchTables(json.loads(json.dumps(tables)))
        return {i: bt.cosines(self.stems[i])[self.goals[i]] for i in rows}

    def stacked_cosines(self, train: list[int], k: int = 5) -> dict[int, list[float]]:
        """Cosines for training rows, each from tables built without its (inner) fold."""
        out: dict[int, list[float]] = {}
        inner = {i: self.fold(i, "inner", k) for i in train}
        for f in range(k):
            fit_rows = [i for i in train if inner[i] != f]
            out.update(self.cosines(self.tables(fit_rows), [i for i in train if inner[i] == f]))
        return out

    def inputs(self, rows: list[int], cos: dict[int, list[float]] | None) -> list[list[float]]:
        """Layer inputs of rows: knowledge features, plus the benchmark cosines if given."""
        return [
            self.raws[i][self.goals[i]] + (cos[i] if cos is not None else []) for i in rows
        ]

    def fit(self, rows: list[int], layer: str) -> dict[str, Any]:
        """Fit the "en" (with benchmark cosines, stacked) or "base" layer on these rows."""
        y, groups = [self.labels[i] for i in rows], [self.goals[i] - 1 for i in rows]
        if layer == "en":
            return fit_layer(self.inputs(rows, self.stacked_cosines(rows)), y, groups, len(GOALS))
        x = [self.base_inputs(i) for i in rows]
        weights, bias = fit_logistic(x, y, groups, len(GOALS))
        return {"weights": [round(w, 5) for w in weights], "bias": [round(b, 5) for b in bias]}

    def base_inputs(self, i: int) -> list[float]:
        """Inputs of the "base" layer for row i (knowledge features against the other goals)."""
        return design_rows(self.raws[i], len(tokens(self.texts[i])))[self.goals[i]]


def bench_tables(
    stems: list[list[str]], labels: list[int], goals: list[int], min_df: int = 2
) -> dict[str, Any]:
    """idf over the texts (words in at least min_df of them); yes/no unit centroids per goal."""
    n = len(stems)
    df = Counter(s for st in stems for s in set(st))
    idf = {s: round(math.log((1 + n) / (1 + c)) + 1, 4) for s, c in df.items() if c >= min_df}
    sums: dict[tuple[str, int], Counter] = {}
    for st, y, g in zip(stems, labels, goals, strict=True):
        acc = sums.setdefault(("yes" if y else "no", g), Counter())
        for s, v in _tfidf(st, idf).items():
            acc[s] += v
    out: dict[str, Any] = {"idf": idf, "yes": {}, "no": {}}
    for side in ("yes", "no"):
        for g in GOALS:
            acc = sums.get((side, g), Counter())
            norm = math.sqrt(sum(v * v for v in acc.values()))
            out[side][g] = _rounded({s: v / norm for s, v in acc.items()}) if norm else {}
    return out


def build(out: Path = ARTEFACT) -> dict[str, Any]:
    """Build knowledge, fit both layers on all benchmark rows, write the artefact."""
    knowledge = build_knowledge()
    bench = Benchmark(benchmark_rows(), untrained(knowledge))
    every = list(range(len(bench.rows)))
    artefact = {
        **knowledge,
        "bench": bench.tables(every),
        "layers": {"en": bench.fit(every, "en"), "base": bench.fit(every, "base")},
        "features": list(FEATURES),
        "threshold": 0.5,
        "base_confident": BASE_CONFIDENT,
    }
    payload = json.dumps(artefact, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    out.write_bytes(gzip.compress(payload.encode("utf-8"), mtime=0))
    return artefact

"""The SDG classifier at run time: evidence per goal from the artefact, then a logistic layer.

Evidence per goal: Aurora query lines, SDSN and citizen keyword phrases, tf-idf cosines to the
goal's and its best target's titles (all languages), and for English two cosines to the goal's
benchmark texts (the centroids of the texts experts said do / do not speak to the goal).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from app.pipeline.classifier.fit import layer_score, sigmoid
from app.pipeline.classifier.lookup import LeafIndex, Postings
from app.pipeline.classifier.query import Node, TextIndex, match
from app.pipeline.classifier.text import detect_language, language_code, stems_of, tokens

GOALS = tuple(range(1, 18))
# Inputs of the "en" layer: knowledge features (every language) + two benchmark cosines.
FEATURES = ("aurora", "sdsn", "lexicon", "cos_goal", "cos_target", "bench_yes", "bench_no")
N_KNOWLEDGE = 5
# Inputs of the "base" layer: knowledge features + how the goal stands against the others.
BASE_FEATURES = (*FEATURES[:N_KNOWLEDGE], "log_evidence", "vs_best", "top", "strong")
ZERO_SHOT_MIN = 1.0
# The benchmark's texts have 42+ tokens; below this length evidence thresholds shrink (SMS texts).
FULL_LENGTH_TOKENS = 40
SHORT_TEXT_FLOOR = 0.4
# A goal needs at least this share of the best goal's evidence to be suggested at all.
RELATIVE_GATE = 0.5
# On English paragraphs, a goal the base layer scores at least this high is suggested even when
# the benchmark-trained layer disagrees (fixed, not tuned; costs ~0.002 CV accuracy).
BASE_CONFIDENT = 0.75


@dataclass(frozen=True)
class GoalScore:
    """One suggested goal and its score in [0, 1]."""

    goal: int
    score: float


def evidence(raw: list[float]) -> float:
    """Fixed (untuned) mix of the raw features into one evidence number for a goal."""
    aurora, sdsn, lexicon, cos_goal, cos_target = raw
    return aurora + 0.5 * sdsn + 0.5 * lexicon + 2.0 * (cos_goal + cos_target)


class SdgClassifier:
    """Suggests SDG goals for a free text in en, es, sw or ne."""

    def __init__(self, artefact: dict[str, Any], version: str) -> None:
        self.version = version
        self.threshold: float = artefact["threshold"]
        self.base_confident: float = artefact.get("base_confident", BASE_CONFIDENT)
        self._layers: dict[str, dict[str, Any]] = artefact["layers"]
        bench = artefact.get("bench")
        self._bench = _BenchTables(bench) if bench else None
        self._aurora = _Queries(
            [(int(g), node) for g, nodes in artefact["aurora"].items() for node in nodes]
        )
        self._langs = {lang: _LangTables(table) for lang, table in artefact["langs"].items()}

    def raw_features(self, text: str, lang: str | None = None) -> dict[int, list[float]]:
        """Untuned evidence per goal: Aurora lines, SDSN and citizen phrases, title cosines."""
        lang = language_code(lang) or detect_language(text)
        words = tokens(text)
        return self._knowledge(words, lang, stems_of(words, lang))

    def _knowledge(self, words: list[str], lang: str, stems: list[str]) -> dict[int, list[float]]:
        table = self._langs[lang]
        index = TextIndex(words)
        vec = _tfidf(stems, table.idf)
        aurora = self._aurora.hits(index) if lang == "en" else dict.fromkeys(GOALS, 0)
        sdsn, lexicon = table.sdsn.hits(index), table.lexicon.hits(index)
        goal_cos = dict(zip(GOALS, table.goals.dots(vec), strict=True))
        target_best = dict.fromkeys(GOALS, 0.0)
        # Only the targets sharing a term with the text (a handful of 169): the rest score 0.
        for i, d in table.targets.nonzero_dots(vec).items():
            g = table.target_goals[i]
            if d > target_best[g]:
                target_best[g] = d
        return {
            g: [
                math.log1p(aurora[g]),
                math.log1p(sdsn[g]),
                math.log1p(lexicon[g]),
                goal_cos[g],
                target_best[g],
            ]
            for g in GOALS
        }

    def features(self, text: str, lang: str | None = None) -> tuple[str, dict[int, list[float]]]:
        """The layer to use and its input features per goal.

        "en": English texts of benchmark length (paragraphs), knowledge + benchmark cosines.
        "base": everything else (other languages, SMS-length English), knowledge features only.
        """
        name, feats, _n_tokens = self._features(text, lang)
        return name, feats

    def _features(self, text: str, lang: str | None) -> tuple[str, dict[int, list[float]], int]:
        # Tokenised once: tokens, stems and the text index all come from the same words.
        lang = language_code(lang) or detect_language(text)
        words = tokens(text)
        stems = stems_of(words, lang)
        raw = self._knowledge(words, lang, stems)
        long_english = lang == "en" and len(words) >= FULL_LENGTH_TOKENS
        if not long_english or self._bench is None or "en" not in self._layers:
            return "base", raw, len(words)
        cos = self._bench.cosines(stems)
        return "en", {g: raw[g] + cos[g] for g in GOALS}, len(words)

    def scores(self, text: str, lang: str | None = None) -> dict[int, float]:
        """All 17 goal scores in [0, 1].

        For short texts and non-English ones (the "base" layer), a goal with under half the
        best goal's evidence scores 0: an SMS rarely speaks to two unrelated goals. Paragraphs
        in English often do, and the benchmark shows the gate costs accuracy there.
        """
        name, feats, n_tokens = self._features(text, lang)
        raw = {g: f[:N_KNOWLEDGE] for g, f in feats.items()}
        base = self._base_scores(raw, n_tokens)
        if name == "base":
            return base
        layer = self._layers["en"]
        out = {}
        for g in GOALS:
            score = layer_score(layer, g - 1, feats[g])
            # A goal the knowledge layer is sure of is kept: the benchmark's centroids are
            # report prose, and a long first-person account can sit far from them.
            if base[g] >= self.base_confident:
                score = max(score, base[g])
            out[g] = round(score, 4)
        return out

    def _base_scores(self, raw: dict[int, list[float]], n_tokens: int) -> dict[int, float]:
        layer = self._layers["base"]
        rows = design_rows(raw, n_tokens)
        ev = {g: evidence(raw[g]) for g in GOALS}
        gate = RELATIVE_GATE * max(ev.values())
        out = {}
        for g in GOALS:
            if not _passes(ev[g], gate):
                out[g] = 0.0
                continue
            z = sum(w * f for w, f in zip(layer["weights"], rows[g], strict=True))
            out[g] = round(sigmoid(z + layer["bias"][g - 1]), 4)
        return out

    def classify(self, text: str, lang: str | None = None) -> list[GoalScore]:
        """Goals scoring at or above the threshold, best first."""
        if not text or not text.strip():
            return []
        ranked = sorted(self.scores(text, lang).items(), key=lambda kv: (-kv[1], kv[0]))
        return [GoalScore(g, s) for g, s in ranked if s >= self.threshold and s > 0]


def strong_evidence(n_tokens: int) -> float:
    """Evidence that counts as strong; SMS-length texts (shorter than the benchmark) need less."""
    return ZERO_SHOT_MIN * min(1.0, max(SHORT_TEXT_FLOOR, n_tokens / FULL_LENGTH_TOKENS))


def design_rows(raw: dict[int, list[float]], n_tokens: int) -> dict[int, list[float]]:
    """Logistic-layer inputs per goal: raw features plus how goal k stands against the others."""
    ev = {g: evidence(raw[g]) for g in GOALS}
    strong = strong_evidence(n_tokens)
    best, runner_up = sorted(ev.values(), reverse=True)[:2]
    out = {}
    for g in GOALS:
        others = runner_up if ev[g] == best else best  # the best of the goals but g
        out[g] = [
            *raw[g],
            math.log1p(ev[g]),
            ev[g] / best if best else 0.0,
            1.0 if ev[g] > others else 0.0,
            1.0 if ev[g] >= strong else 0.0,
        ]
    return out


def eligible(raw: dict[int, list[float]], goal: int) -> bool:
    """Whether a goal may be suggested: some evidence, and at least half the best goal's."""
    return _passes(evidence(raw[goal]), RELATIVE_GATE * max(evidence(raw[g]) for g in GOALS))


def _passes(goal_evidence: float, gate: float) -> bool:
    return goal_evidence > 0 and goal_evidence >= gate


def zero_shot_goals(raw: dict[int, list[float]], n_tokens: int) -> set[int]:
    """The untuned rule: goals with strong evidence and at least half the strongest goal's."""
    ev = {g: evidence(raw[g]) for g in GOALS}
    best, strong = max(ev.values()), strong_evidence(n_tokens)
    return {g for g in GOALS if ev[g] >= strong and ev[g] >= RELATIVE_GATE * best}


def _tfidf(stems: list[str], idf: dict[str, float]) -> dict[str, float]:
    counts: dict[str, int] = {}
    for s in stems:
        if s in idf:
            counts[s] = counts.get(s, 0) + 1
    vec = {s: (1 + math.log(c)) * idf[s] for s, c in counts.items()}
    norm = math.sqrt(sum(v * v for v in vec.values()))
    return {s: v / norm for s, v in vec.items()} if norm else {}


class _Queries:
    """Query trees tagged with their goal, matched only when one of their words is present."""

    def __init__(self, tagged: list[tuple[int, Node]]) -> None:
        self._goals = [g for g, _ in tagged]
        self._nodes = [node for _, node in tagged]
        self._index = LeafIndex(self._nodes)

    def hits(self, index: TextIndex) -> dict[int, int]:
        """Number of matching queries per goal."""
        out = dict.fromkeys(GOALS, 0)
        for i in self._index.candidates(index):
            if match(self._nodes[i], index):
                out[self._goals[i]] += 1
        return out


class _BenchTables:
    """English benchmark texts per goal: idf and the yes/no centroids (unit tf-idf vectors)."""

    def __init__(self, table: dict[str, Any]) -> None:
        self.idf: dict[str, float] = table["idf"]
        self.yes = Postings([table["yes"][str(g)] for g in GOALS])
        self.no = Postings([table["no"][str(g)] for g in GOALS])

    def cosines(self, stems: list[str]) -> dict[int, list[float]]:
        """Per goal: cosine to the texts that do, and to those that do not, speak to it."""
        vec = _tfidf(stems, self.idf)
        return {
            g: [yes, no]
            for g, yes, no in zip(GOALS, self.yes.dots(vec), self.no.dots(vec), strict=True)
        }


class _LangTables:
    """One language's vocabulary: idf, goal and target vectors, keyword phrases."""

    def __init__(self, table: dict[str, Any]) -> None:
        self.idf: dict[str, float] = table["idf"]
        self.goals = Postings([table["goals"][str(g)] for g in GOALS])
        self.target_goals = [int(g) for g, _ in table["targets"]]
        self.targets = Postings([vec for _, vec in table["targets"]])
        self.sdsn, self.lexicon = (
            _Queries([(int(g), ["t", ws]) for g, phrases in table[name].items() for ws in phrases])
            for name in ("sdsn", "lexicon")
        )

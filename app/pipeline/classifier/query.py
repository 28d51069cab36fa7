"""Scopus-style boolean/proximity queries (Aurora SDG queries): compile to JSON trees, match texts.

A compiled node is a list: ["t", [word, ...]] a phrase (a word ending in "*" is a prefix),
["or", a, b, ...], ["and", a, b, ...], ["not", a, b] (a AND NOT b), ["w", n, a, b] (a within n
words of b; PRE/n is treated as W/n).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable

from app.pipeline.classifier.text import fold

Node = list

_LEX = re.compile(r'"[^"]*"|\(|\)|\b(?:W|PRE)/\d+\b|\bAND\s+NOT\b|\bAND\b|\bOR\b|[^\s()"]+', re.I)
_WORD = re.compile(r"[^\W_]+\*?|\*")


class QuerySyntaxError(ValueError):
    """A query line could not be parsed."""

    code = "sdg_query_syntax"


def compile_query(source: str) -> Node:
    """Parse one Scopus query line into a node tree (OR binds tightest, then W/n, AND, AND NOT)."""
    toks = [t.strip() for t in _LEX.findall(source)]
    pos = 0

    def peek() -> str | None:
        return toks[pos] if pos < len(toks) else None

    def take() -> str:
        nonlocal pos
        pos += 1
        return toks[pos - 1]

    def atom() -> Node:
        tok = take()
        if tok == "(":
            node = and_not()
            if peek() != ")":
                raise QuerySyntaxError(f"missing ) in {source!r}")
            take()
            return node
        words = _WORD.findall(fold(tok.strip('"').replace("-", " ")))
        words = [w for w in words if w != "*"]
        if not words:
            raise QuerySyntaxError(f"empty term in {source!r}")
        return ["t", words]

    def chain(operand: Callable[[], Node], word: str, tag: str) -> Node:
        """`operand (word operand)*` as one n-ary [tag, ...] node (or the lone operand)."""
        nodes = [operand()]
        while (p := peek()) and p.upper() == word:
            take()
            nodes.append(operand())
        return nodes[0] if len(nodes) == 1 else [tag, *nodes]

    def or_() -> Node:
        return chain(atom, "OR", "or")

    def prox() -> Node:
        node = or_()
        while (p := peek()) and re.fullmatch(r"(?:W|PRE)/\d+", p, re.I):
            n = int(take().split("/")[1])
            node = ["w", n, node, or_()]
        return node

    def and_() -> Node:
        return chain(prox, "AND", "and")

    def and_not() -> Node:
        node = and_()
        while (p := peek()) and re.fullmatch(r"AND\s+NOT", p, re.I):
            take()
            node = ["not", node, and_()]
        return node

    tree = and_not()
    if pos != len(toks):
        raise QuerySyntaxError(f"trailing tokens in {source!r}: {toks[pos:]}")
    return tree


class TextIndex:
    """Positions of each word and of each word prefix in one tokenised text."""

    def __init__(self, words: list[str]) -> None:
        self.exact: dict[str, list[int]] = defaultdict(list)
        self.prefix: dict[str, list[int]] = defaultdict(list)
        for i, w in enumerate(words):
            self.exact[w].append(i)
            for form in _singulars(w):
                if form != w:
                    self.exact[form].append(i)
            for k in range(2, len(w) + 1):
                self.prefix[w[:k]].append(i)

    def word(self, w: str) -> list[int]:
        """Positions of a query word (prefix if it ends with '*', plural-insensitive otherwise)."""
        if w.endswith("*"):
            return self.prefix.get(w[:-1], [])
        return self.exact.get(w, [])


def _singulars(w: str) -> tuple[str, ...]:
    if len(w) > 4 and w.endswith("ies"):
        return (w, w[:-3] + "y")
    if len(w) > 3 and w.endswith("es"):
        return (w, w[:-2], w[:-1])
    if len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
        return (w, w[:-1])
    return (w,)


Spans = list[tuple[int, int]]


def match(node: Node, index: TextIndex) -> Spans:
    """Spans (first, last word position) where the node matches; empty if it does not."""
    op = node[0]
    if op == "t":
        words = node[1]
        starts = index.word(words[0])
        if len(words) == 1 or not starts:
            return [(s, s) for s in starts]
        following = [set(index.word(w)) for w in words[1:]]
        return [(s, s + len(words) - 1) for s in starts
                if all(s + k in at for k, at in enumerate(following, 1))]
    if op == "or":
        out: Spans = []
        for child in node[1:]:
            out.extend(match(child, index))
        return out
    if op == "and":
        out = []
        for child in node[1:]:
            spans = match(child, index)
            if not spans:
                return []
            out.extend(spans)
        return out
    if op == "not":
        left = match(node[1], index)
        return left if left and not match(node[2], index) else []
    if op == "w":
        n, left = node[1], match(node[2], index)
        if not left:
            return []
        right = sorted(match(node[3], index))
        if not right:
            return []
        # Only the right spans starting near each left span can be within n words: find them by
        # bisection, so a word repeated thousands of times costs n log n, not n squared.
        starts = [b[0] for b in right]
        reach = max(b[1] - b[0] for b in right)
        out = []
        for a in left:
            near = right[bisect_left(starts, a[0] - n - 1 - reach):
                         bisect_right(starts, a[1] + n + 1)]
            out.extend((min(a[0], b[0]), max(a[1], b[1])) for b in near
                       if b[0] - a[1] - 1 <= n and a[0] - b[1] - 1 <= n)
        return out
    raise QuerySyntaxError(f"unknown node {op!r}")

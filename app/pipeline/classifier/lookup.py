"""Inverted indexes so a text is only matched against the queries and titles it can touch."""

from __future__ import annotations

from collections import defaultdict

from app.pipeline.classifier.query import Node, TextIndex


def leaf_words(node: Node) -> list[str]:
    """The first word of every phrase in a query tree (a match needs at least one of them)."""
    if node[0] == "t":
        return [node[1][0]]
    children = node[2:] if node[0] == "w" else node[1:]
    return [w for child in children for w in leaf_words(child)]


class LeafIndex:
    """Maps query words (exact or 'prefix*') to the ids of the items that contain them."""

    def __init__(self, items: list[Node]) -> None:
        self._exact: dict[str, set[int]] = defaultdict(set)
        self._prefix: dict[str, set[int]] = defaultdict(set)
        for i, node in enumerate(items):
            for w in leaf_words(node):
                if w.endswith("*"):
                    self._prefix[w[:-1]].add(i)
                else:
                    self._exact[w].add(i)

    def candidates(self, index: TextIndex) -> set[int]:
        """Ids of the items with at least one word present in the text."""
        out: set[int] = set()
        for w in index.exact.keys() & self._exact.keys():
            out |= self._exact[w]
        for p in index.prefix.keys() & self._prefix.keys():
            out |= self._prefix[p]
        return out


class Postings:
    """Sparse unit vectors stored by term, for fast dot products with one text vector."""

    def __init__(self, vectors: list[dict[str, float]]) -> None:
        self.size = len(vectors)
        self._terms: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for i, vec in enumerate(vectors):
            for term, weight in vec.items():
                self._terms[term].append((i, weight))

    def dots(self, vec: dict[str, float]) -> list[float]:
        """Dot product of the text vector with every stored vector."""
        out = [0.0] * self.size
        for i, d in self.nonzero_dots(vec).items():
            out[i] = d
        return out

    def nonzero_dots(self, vec: dict[str, float]) -> dict[int, float]:
        """The dot products that are not 0: stored vector's index -> dot product."""
        out: dict[int, float] = {}
        for term, v in vec.items():
            for i, w in self._terms.get(term, ()):
                out[i] = out.get(i, 0.0) + v * w
        return out

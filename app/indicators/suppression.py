"""Small-cell suppression with complementary suppression, over a fixed family of tables.

What a public or viewer-level caller can fetch of one indicator and one period is a fixed
family of tables: the margins of the indicator's cross-classification over every set of at
most two of its dimensions (the empty set is the period's total). Every cell of every such
table is published or suppressed once, here, for all of them together, so no two queries
ever show a cell differently and differencing across `by=`, `area=` and periods (periods
are disjoint: no table spans two) meets the same suppression.

The protected quantities are the counts a cell publishes: for a proportion or a count, the
people for whom the numerator holds ("yes") and for whom it does not ("no"); for a mean, the
people counted. A cell is sensitive when one of them is between 1 and k-1.

Guarantee (checked by a property test with an LP attacker): for every sensitive count, the
published numbers and non-negativity allow that count to be k or more, so a caller can
neither derive it nor conclude that it is below k. Each sensitive count gets a *move*: a
change of the underlying counts that leaves every published number as it is and raises
that count by (k - value). A move over dimensions H alternates +1/-1 on the 2^|H| corners
of a box in the cross-classification; it cancels in every table that lacks one of H's
dimensions and touches, in every table that has them all, exactly the cells holding a
corner, which we suppress. Several boxes may share the raise, each lending what its
'-1' corners hold (a corner lends once), so nothing goes negative. A move stays valid
however much else is suppressed, so the protections never undo each other. When the
boxes cannot lend enough, the rest is one cell of the cross-classification raised
alone: every published cell holding it is suppressed.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import combinations

Key = tuple  # one value (str or None) per dimension
CellId = tuple  # (dimension indexes, values for them)
MAX_DIMENSIONS_PUBLISHED = 2
MAX_CANDIDATES = 64  # boxes weighed per sensitive count


def family(dimension_count: int, largest: int = MAX_DIMENSIONS_PUBLISHED) -> tuple[tuple, ...]:
    """Every set of at most `largest` dimensions, as sorted index tuples, () first."""
    return tuple(s for size in range(min(largest, dimension_count) + 1)
                 for s in combinations(range(dimension_count), size))


def project(key: Key, dims: tuple) -> tuple:
    return tuple(key[i] for i in dims)


def margins(finest: dict[Key, Sequence[float]], tables: Iterable[tuple]
            ) -> dict[CellId, list[float]]:
    """Every cell of every table: sums of the finest cells' measures."""
    out: dict[CellId, list[float]] = {}
    for dims in tables:
        for key, values in finest.items():
            cell = (dims, project(key, dims))
            total = out.get(cell)
            if total is None:
                out[cell] = list(values)
            else:
                for i, v in enumerate(values):
                    total[i] += v
    return out


def sensitive(values: Sequence[float], protected: Sequence[int], k: int) -> list[int]:
    """The protected measures of a cell that hold 1 to k-1 people."""
    return [m for m in protected if 1 <= values[m] < k]


def suppress(finest: dict[Key, Sequence[float]], tables: tuple[tuple, ...],
             protected: Sequence[int], k: int) -> tuple[dict[CellId, list[float]], set[CellId]]:
    """All cells of `tables` and the set to suppress; `protected` are the indexes of the
    count measures to protect (their values must be whole numbers of people)."""
    cells = margins(finest, tables)
    primary = [(c, m) for c, v in cells.items() for m in sensitive(v, protected, k)]
    hidden = {c for c, _ in primary}
    # The finest level's own box lookups: keys by value, per dimension.
    planner = _Planner(finest, tables, cells, k)
    # Deeper cells first: their boxes are small and often cover the margins' needs.
    for cell, measure in sorted(primary, key=lambda cm: (-len(cm[0][0]), repr(cm))):
        hidden |= planner.move(cell, measure, hidden)
    return cells, hidden


class _Planner:
    """Finds, for one sensitive count, the move that hides the fewest people anew."""

    def __init__(self, finest: dict[Key, Sequence[float]], tables: tuple[tuple, ...],
                 cells: dict[CellId, list[float]], k: int) -> None:
        self.finest = finest
        self.tables = tables
        self.cells = cells
        self.k = k
        self.n_measure = len(next(iter(finest.values()))) if finest else 0
        width = len(next(iter(finest))) if finest else 0
        # Finest keys by their values on each published table's dimensions, and every
        # value each dimension takes: box corners are looked up, never scanned for.
        self.index: dict[tuple, dict[tuple, list[Key]]] = {}
        for dims in tables:
            by_value = self.index.setdefault(dims, {})
            for key in finest:
                by_value.setdefault(project(key, dims), []).append(key)
        self.domain = [sorted({key[d] for key in finest}, key=repr) for d in range(width)]

    def _people(self, cell: CellId) -> float:
        return sum(self.cells[cell])

    def _touched(self, corners: list[Key], box: tuple) -> set[CellId] | None:
        """Cells a move over `box` with these corners changes; None when one of them is
        not published at all (an absent cell reads as zero and must stay so)."""
        out: set[CellId] = set()
        for dims in self.tables:
            if not set(box) <= set(dims):
                continue
            for corner in corners:
                cell = (dims, project(corner, dims))
                if cell not in self.cells:
                    return None
                out.add(cell)
        return out

    def _cost(self, touched: set[CellId], hidden: set[CellId]) -> tuple[float, int]:
        new = touched - hidden
        return sum(self._people(c) for c in new), len(new)

    def move(self, cell: CellId, measure: int, hidden: set[CellId]) -> set[CellId]:
        """Cells to hide so that this count can rise to k: boxes taken greedily (fewest
        people newly hidden per person of room), each lending the room its smallest
        '-1' corner has left, until they lend k - value; else one cell raised alone."""
        dims, values = cell
        need = self.k - self.cells[cell][measure]
        fixed = dict(zip(dims, values, strict=True))
        candidates = [c for size in range(len(dims), 0, -1)
                      for box in combinations(dims, size)
                      for c in self._boxes(fixed, box, measure)]
        if len(candidates) > MAX_CANDIDATES:
            # Rank once by first score and keep the best: the greedy rarely reaches further.
            ranked = sorted((sc, i) for i, c in enumerate(candidates)
                            if (sc := self._score(c, measure, {}, need, hidden)) is not None)
            candidates = [candidates[i] for _, i in ranked[:MAX_CANDIDATES]]
        room: dict[Key, float] = {}  # what each '-1' corner has left to lend
        chosen: set[CellId] = set()
        while need > 0 and candidates:
            scored = [(score, i) for i, candidate in enumerate(candidates)
                      if (score := self._score(candidate, measure, room, need,
                                               hidden | chosen)) is not None]
            if not scored:
                break
            touched, minus = candidates.pop(min(scored)[1])
            lend = min(self._room(room, minus, measure), need)
            for corner in minus:
                room[corner] = room.get(corner, self.finest[corner][measure]) - lend
            need -= lend
            chosen |= touched
        if need > 0:
            chosen |= min(((self._cost(t, hidden | chosen), t)
                           for t in self._single(fixed, measure)), key=lambda ct: ct[0])[1]
        return chosen

    def _room(self, room: dict[Key, float], minus: list[Key], measure: int) -> float:
        return min(room.get(c, self.finest[c][measure]) for c in minus)

    def _score(self, candidate: tuple, measure: int, room: dict[Key, float], need: float,
               hidden: set[CellId]) -> tuple | None:
        """People newly hidden per person of room lent; None when it has no room left."""
        touched, minus = candidate
        lend = self._room(room, minus, measure)
        if lend <= 0:
            return None
        cost, count = self._cost(touched, hidden)
        return cost / min(lend, need), count, -lend

    def _boxes(self, fixed: dict[int, object], box: tuple, measure: int):
        """(touched cells, '-1' corners) of every box move over dimensions `box` whose
        '-1' corners all hold someone."""
        first = box[0]
        rest = tuple(d for d in sorted(fixed) if d != first)
        for key in self.index[rest].get(tuple(fixed[d] for d in rest), ()):
            # `key` is the corner with only `first` switched away from the cell's value.
            if self.finest[key][measure] < 1 or key[first] == fixed[first]:
                continue
            base = list(key)
            base[first] = fixed[first]
            yield from self._completions(tuple(base), box, 1, {first: key[first]}, measure)

    def _completions(self, base: Key, box: tuple, at: int, alternates: dict[int, object],
                     measure: int):
        if at == len(box):
            corners, minus = _corners(base, box, alternates)
            if all(self.finest.get(c, (0,) * self.n_measure)[measure] >= 1 for c in minus):
                touched = self._touched(corners, box)
                if touched is not None:
                    yield touched, minus
            return
        dim = box[at]
        for value in self.domain[dim]:
            if value == base[dim]:
                continue
            # The corner with only this dimension switched takes away: it must hold someone.
            alone = base[:dim] + (value,) + base[dim + 1:]
            if self.finest.get(alone, (0,) * self.n_measure)[measure] < 1:
                continue
            yield from self._completions(base, box, at + 1, {**alternates, dim: value},
                                         measure)

    def _single(self, fixed: dict[int, object], measure: int):
        """The fallback: one finest cell of the sensitive cell, raised alone."""
        dims = tuple(sorted(fixed))
        for key in self.index[dims].get(tuple(fixed[d] for d in dims), ()):
            if self.finest[key][measure] >= 1:
                touched = self._touched([key], ())
                if touched is not None:
                    yield touched


def _corners(base: Key, box: tuple, alternates: dict[int, object]) -> tuple[list[Key], list[Key]]:
    """All 2^|box| corners, and those with an odd number of switched dimensions (-1)."""
    corners, minus = [], []
    for size in range(len(box) + 1):
        for switched in combinations(box, size):
            key = list(base)
            for d in switched:
                key[d] = alternates[d]
            corners.append(tuple(key))
            if size % 2:
                minus.append(tuple(key))
    return corners, minus

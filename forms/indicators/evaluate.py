"""What one submission contributes to an indicator, computed over its instance document.

- proportion: in the population when the denominator holds (no denominator: everyone);
  counts 1 in the numerator when the numerator holds, else 0.
- count: the same population; the value is the number for whom the numerator holds.
- mean: the population whose numerator is a number; the value is that number.

An empty answer compares as '' (XPath), so a skipped question never holds `= 'yes'`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date
from xml.etree.ElementTree import Element

from forms.disaggregation import age_band, normalise_sex
from forms.indicators.bind import BoundIndicator
from forms.xpath import ParentMap, XPathError, to_boolean, to_number
from forms.xpath.evaluator import Env

_DATE = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})")
MAX_VALUE_LENGTH = 100


class EvaluationError(ValueError):
    """An expression failed on this instance (a function given the wrong arguments...)."""


@dataclass(frozen=True)
class Contribution:
    """One submission's part of an indicator: numerator value (and its square, for a mean's
    spread), the month it counts in (yyyymm), its dimension values, where it is."""

    num: float
    num2: float
    month: int
    dims: tuple[str | None, ...]
    lat: float | None = None
    lon: float | None = None


class Instance:
    """One instance document, with what every indicator over it shares: its parent map and
    the text at each plain path already read (dimensions, dates: one lookup per instance)."""

    __slots__ = ("root", "parents", "env", "_texts")

    def __init__(self, root: Element) -> None:
        self.root = root
        self.parents = ParentMap(root)
        # One evaluation environment for every expression over this instance (what
        # forms.xpath.evaluate would build per call; the context is always the root).
        self.env = Env(root, None, None, None, self.parents, root, None, None)
        self._texts: dict[str, str] = {}

    def text(self, path: str) -> str:
        """The text of the first node at an absolute, plain path ("/data/grp/q"), or ''.
        Steps match by local name, as our XPath name tests do."""
        found = self._texts.get(path)
        if found is None:
            node = self.root
            for step in path.split("/")[2:]:
                node = next((c for c in node if isinstance(c.tag, str)
                             and c.tag.rpartition("}")[2].rpartition(":")[2] == step), None)
                if node is None:
                    break
            found = self._texts[path] = "" if node is None else "".join(node.itertext())
        return found


def parents_of(root: Element) -> Instance:
    """Build once per instance and pass to every indicator of it."""
    return Instance(root)


def contribution(bound: BoundIndicator, root: Element, *, received: date, channel: str,
                 parents: Instance | None = None) -> Contribution | None:
    """None when the submission is outside the indicator's population."""
    instance = parents if parents is not None else Instance(root)
    env = instance.env

    def run(expr):  # noqa: ANN001, ANN202
        try:
            return expr.fn(env, root, 1, 1)
        except XPathError as error:
            raise EvaluationError(f"{expr.source}: {error}") from error
        except (RecursionError, ZeroDivisionError, OverflowError, ValueError) as error:
            raise EvaluationError(f"{expr.source}: {type(error).__name__}") from error

    if bound.denominator is not None and not to_boolean(run(bound.denominator)):
        return None
    kind = bound.spec.kind
    if kind == "mean":
        value = to_number(run(bound.numerator))
        if math.isnan(value) or math.isinf(value):
            return None
        num = float(value)
    else:
        num = 1.0 if to_boolean(run(bound.numerator)) else 0.0
    month = _month(instance.text(bound.period.source) if bound.period is not None else "",
                   received)
    dims = tuple(_dimension_value(d, instance, channel) for d in bound.dimensions)
    lat, lon = _point(instance.text(bound.geopoint.source)) if bound.geopoint is not None \
        else (None, None)
    return Contribution(num, num * num, month, dims, lat, lon)


def _month(text: str, received: date) -> int:
    """yyyymm of a date answer as written (the respondent's own day), else of arrival."""
    m = _DATE.match(text)
    if m:
        year, month = int(m.group(1)), int(m.group(2))
        if 1 <= month <= 12 and 1900 <= year <= 2200:
            return year * 100 + month
    return received.year * 100 + received.month


def _dimension_value(bound, instance: Instance, channel: str) -> str | None:  # noqa: ANN001
    dim = bound.dimension
    if dim.name == "channel":
        return channel or None
    text = instance.text(bound.path).strip()
    if not text:
        return None
    if bound.numeric:
        years = to_number(text)
        return None if math.isnan(years) else age_band(years, dim.cuts)
    if dim.name == "sex":
        text = normalise_sex(text)
    return text[:MAX_VALUE_LENGTH]


def _point(text: str) -> tuple[float | None, float | None]:
    parts = text.split()
    try:
        lat, lon = float(parts[0]), float(parts[1])
    except (IndexError, ValueError):
        return None, None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None, None
    return lat, lon

"""The node model over ElementTree (documents, attributes, parents) and XPath 1.0 coercions."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta, timezone
from xml.etree.ElementTree import Element

EPOCH = date(1970, 1, 1)
_DATE_RE = re.compile(r"^\s*(-?\d{4,})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?"
                      r"(Z|[+-]\d{2}(?::?\d{2})?)?)?\s*$")
_NUMBER_RE = re.compile(r"^\s*-?(?:\d+(?:\.\d*)?|\.\d+)\s*$")


def local_name(tag: str) -> str:
    """The tag or attribute name without its namespace or prefix."""
    if tag[:1] == "{":
        return tag[tag.index("}") + 1:]
    return tag.rsplit(":", 1)[-1]


class DocNode:
    """The document node above a root element (what `/` and `instance('id')` select)."""

    __slots__ = ("el", "wrapper")

    def __init__(self, el: Element) -> None:
        self.el = el
        # A secondary instance may be passed as its <instance> wrapper or as its root element.
        self.wrapper = local_name(el.tag) == "instance"

    def children(self) -> list[Element]:
        return list(self.el) if self.wrapper else [self.el]


class AttrNode:
    """An attribute as a node: ElementTree keeps attributes as a dict on the element."""

    __slots__ = ("parent", "name", "value")

    def __init__(self, parent: Element, name: str, value: str) -> None:
        self.parent, self.name, self.value = parent, name, value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AttrNode) and other.parent is self.parent and \
            other.name == self.name

    def __hash__(self) -> int:
        return hash((id(self.parent), self.name))


class TextNode:
    """The text of an element, for the rare `text()` test."""

    __slots__ = ("parent", "value")

    def __init__(self, parent: Element, value: str) -> None:
        self.parent, self.value = parent, value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TextNode) and other.parent is self.parent

    def __hash__(self) -> int:
        return hash((id(self.parent), "#text"))


Node = Element | DocNode | AttrNode | TextNode


class ParentMap:
    """Parent lookup for one or more trees; rebuilds itself when it meets a node added later."""

    def __init__(self, *roots: Element) -> None:
        self.roots = roots
        self._map: dict[Element, Element] = {}
        self.rebuild()

    def rebuild(self) -> None:
        """Re-read the trees (call after moving nodes; added nodes are found automatically)."""
        self._map = {c: p for r in self.roots for p in r.iter() for c in p}

    def __call__(self, el: Element) -> Element | None:
        parent = self._map.get(el)
        if parent is None and not any(el is r for r in self.roots):
            self.rebuild()
            parent = self._map.get(el)
        return parent


class DateValue(str):
    """A date or dateTime result: a string (ISO form) that converts to days since 1970-01-01."""

    days: float

    def __new__(cls, text: str, days: float) -> DateValue:
        obj = super().__new__(cls, text)
        obj.days = days
        return obj


def date_value(d: date | datetime) -> DateValue:
    """Wrap a date (ISO yyyy-mm-dd) or an aware datetime (ODK's dateTime form) as a DateValue."""
    if isinstance(d, datetime):
        text = d.isoformat(timespec="milliseconds")
        if text.endswith("+00:00") and d.tzinfo is UTC:
            text = text[:-6] + "Z"
        return DateValue(text, datetime_days(d))
    return DateValue(d.isoformat(), float((d - EPOCH).days))


def datetime_days(d: datetime) -> float:
    """Days (with fraction) since the epoch; a naive datetime is read as UTC."""
    if d.tzinfo is None:
        d = d.replace(tzinfo=UTC)
    return (d - datetime(1970, 1, 1, tzinfo=UTC)) / timedelta(days=1)


def parse_date(s: str) -> date | datetime | None:
    """Parse an ODK date or dateTime string; None when it is not one."""
    m = _DATE_RE.match(s)
    if m is None:
        return None
    y, mo, d, hh, mi, ss, frac, tz = m.groups()
    try:
        if hh is None:
            return date(int(y), int(mo), int(d))
        micro = int(round(float(frac) * 1_000_000)) if frac else 0
        tzinfo = None
        if tz == "Z":
            tzinfo = UTC
        elif tz:
            sign = -1 if tz[0] == "-" else 1
            digits = tz[1:].replace(":", "")
            minutes = int(digits[:2]) * 60 + (int(digits[2:4]) if len(digits) > 2 else 0)
            tzinfo = timezone(sign * timedelta(minutes=minutes))
        return datetime(int(y), int(mo), int(d), int(hh), int(mi), int(ss or 0), min(micro, 999999),
                        tzinfo=tzinfo)
    except ValueError:
        return None


def string_value(node: Node) -> str:
    """The XPath string-value of a node."""
    if isinstance(node, Element):
        if len(node) == 0:
            return node.text or ""
        return "".join(node.itertext())
    if isinstance(node, DocNode):
        return "".join("".join(c.itertext()) for c in node.children())
    return node.value


def format_number(n: float) -> str:
    """A number as JavaRosa prints it: integers without '.0', NaN, Infinity."""
    if n != n:
        return "NaN"
    if n in (math.inf, -math.inf):
        return "Infinity" if n > 0 else "-Infinity"
    if n == int(n) and abs(n) < 1e15:
        return str(int(n))
    return repr(n)


def to_string(v: object) -> str:
    """XPath string(): a node-set gives the string-value of its first node."""
    if isinstance(v, str):
        return str.__str__(v) if isinstance(v, DateValue) else v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return format_number(float(v))
    if isinstance(v, list):
        return string_value(v[0]) if v else ""
    if v is None:
        return ""
    return str(v)


def string_to_number(s: str) -> float:
    """XPath number() of a string, plus ODK's dates: a date string is days since 1970-01-01."""
    if _NUMBER_RE.match(s):
        return float(s)
    if s[:1].isdigit() and "-" in s:
        d = parse_date(s)
        if d is not None:
            return datetime_days(d) if isinstance(d, datetime) else float((d - EPOCH).days)
    return math.nan


def to_number(v: object) -> float:
    """XPath number(): NaN for empty or non-numeric strings; dates become days since epoch."""
    if isinstance(v, DateValue):
        return v.days
    if isinstance(v, bool):
        return 1.0 if v else 0.0
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str):
        return string_to_number(v)
    if isinstance(v, list):
        return string_to_number(string_value(v[0])) if v else math.nan
    return math.nan


def to_boolean(v: object) -> bool:
    """XPath boolean(): non-empty string or node-set, non-zero non-NaN number."""
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        return v == v and v != 0
    if isinstance(v, (str, list)):
        return len(v) > 0
    return bool(v)


def node_strings(v: object) -> Iterable[str]:
    """Every node's string-value for a node-set, or the one string for other values."""
    if isinstance(v, list):
        return [string_value(n) for n in v]
    return [to_string(v)]

"""XPath 1.0 core functions and the ODK XForms functions, as JavaRosa evaluates them."""

from __future__ import annotations

import base64
import binascii
import hashlib
import math
import random as _random
import re
import string as _string
import uuid as _uuid
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from xml.etree.ElementTree import Element

from forms.xpath.dates import (
    date_fn,
    date_time_fn,
    decimal_date_time,
    decimal_time,
    format_date,
    now_fn,
    today_fn,
)
from forms.xpath.errors import XPathEvalError
from forms.xpath.geo import area, distance
from forms.xpath.values import (
    local_name,
    node_strings,
    string_value,
    to_boolean,
    to_number,
    to_string,
)

FUNCTIONS: dict[str, Callable] = {}


def fn(name: str, lo: int = 0, hi: int = 99, *, lazy: bool = False) -> Callable:
    """Register a built-in taking (env, node, pos, size, args) with its arity."""
    def deco(f: Callable) -> Callable:
        f.arity = (lo, hi)  # type: ignore[attr-defined]
        f.lazy = lazy  # type: ignore[attr-defined]
        FUNCTIONS[name] = f
        return f
    return deco


def _nodes(v: object, fname: str) -> list:
    if not isinstance(v, list):
        raise XPathEvalError(f"{fname}() needs a node-set argument")
    return v


def _ctx_or(args: list, node: object) -> object:
    return args[0] if args else [node]


# --- XPath 1.0 core -------------------------------------------------------------------------
fn("true", 0, 0)(lambda e, n, p, s, a: True)
fn("false", 0, 0)(lambda e, n, p, s, a: False)
fn("not", 1, 1)(lambda e, n, p, s, a: not to_boolean(a[0]))
fn("boolean", 1, 1)(lambda e, n, p, s, a: to_boolean(a[0]))
fn("number", 0, 1)(lambda e, n, p, s, a: to_number(_ctx_or(a, n)))
fn("string", 0, 1)(lambda e, n, p, s, a: to_string(_ctx_or(a, n)))
fn("last", 0, 0)(lambda e, n, p, s, a: float(s))
fn("count", 1, 1)(lambda e, n, p, s, a: float(len(_nodes(a[0], "count"))))
fn("contains", 2, 2)(lambda e, n, p, s, a: to_string(a[1]) in to_string(a[0]))
fn("starts-with", 2, 2)(lambda e, n, p, s, a: to_string(a[0]).startswith(to_string(a[1])))
fn("ends-with", 2, 2)(lambda e, n, p, s, a: to_string(a[0]).endswith(to_string(a[1])))
fn("string-length", 0, 1)(lambda e, n, p, s, a: float(len(to_string(_ctx_or(a, n)))))
fn("normalize-space", 0, 1)(lambda e, n, p, s, a: " ".join(to_string(_ctx_or(a, n)).split()))
fn("floor", 1, 1)(lambda e, n, p, s, a: _safe(math.floor, to_number(a[0])))
fn("ceiling", 1, 1)(lambda e, n, p, s, a: _safe(math.ceil, to_number(a[0])))


def _safe(f: Callable[[float], float], x: float) -> float:
    return x if x != x or math.isinf(x) else float(f(x))


@fn("concat")
def _concat(e, n, p, s, a) -> str:  # noqa: ANN001
    # ODK: a node-set argument contributes every node, not just the first.
    return "".join("".join(node_strings(v)) for v in a)


@fn("substring-before", 2, 2)
def _before(e, n, p, s, a) -> str:  # noqa: ANN001
    h, needle = to_string(a[0]), to_string(a[1])
    i = h.find(needle)
    return "" if i < 0 else h[:i]


@fn("substring-after", 2, 2)
def _after(e, n, p, s, a) -> str:  # noqa: ANN001
    h, needle = to_string(a[0]), to_string(a[1])
    i = h.find(needle)
    return "" if i < 0 else h[i + len(needle):]


@fn("substring", 2, 3)
def _substring(e, n, p, s, a) -> str:  # noqa: ANN001
    text = to_string(a[0])
    start = _xround(to_number(a[1]))
    end = start + _xround(to_number(a[2])) if len(a) > 2 else math.inf
    if start != start or end != end:
        return ""
    return "".join(ch for i, ch in enumerate(text, 1) if start <= i < end)


@fn("translate", 3, 3)
def _translate(e, n, p, s, a) -> str:  # noqa: ANN001
    text, src, dst = to_string(a[0]), to_string(a[1]), to_string(a[2])
    table: dict[int, int | None] = {}
    for i, ch in enumerate(src):
        table.setdefault(ord(ch), ord(dst[i]) if i < len(dst) else None)
    return text.translate(table)


def _xround(x: float) -> float:
    """XPath round(): half up towards +infinity (round(-2.5) = -2)."""
    if x != x or math.isinf(x):
        return x
    return float(math.floor(x + 0.5))


@fn("round", 1, 2)
def _round(e, n, p, s, a) -> float:  # noqa: ANN001
    x = to_number(a[0])
    if len(a) == 1:
        return _xround(x)
    digits = to_number(a[1])
    if x != x or math.isinf(x) or digits != digits:
        return x
    try:  # JavaRosa: BigDecimal(Double.toString(x)).setScale(digits, ROUND_HALF_UP)
        q = Decimal(repr(x)).quantize(Decimal(1).scaleb(-int(digits)), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return x
    return float(q)


@fn("sum", 1, 1)
def _sum(e, n, p, s, a) -> float:  # noqa: ANN001
    return float(math.fsum(to_number(string_value(x)) for x in _nodes(a[0], "sum")))


@fn("position", 0, 1)
def _position(e, n, p, s, a) -> float:  # noqa: ANN001
    if not a:
        return float(p)
    nodes = _nodes(a[0], "position")
    if not nodes:
        return math.nan
    target = nodes[0]
    parent = e.parent(target)
    if parent is None or not isinstance(target, Element):
        return 1.0
    name = local_name(target.tag)
    # A jr:template is the blueprint of a repeat, never one of its instances.
    same = [c for c in (parent if isinstance(parent, Element) else parent.children())
            if local_name(c.tag) == name and not _is_template(c)]
    return float(next(i for i, c in enumerate(same, 1) if c is target))


def _is_template(el: Element) -> bool:
    return bool(el.attrib) and any(local_name(k) == "template" for k in el.attrib)


def _first_node(a, n, fname: str):  # noqa: ANN001, ANN202
    """The first node of the argument (or the context node), None for an empty node-set."""
    nodes = _nodes(_ctx_or(a, n), fname)
    return nodes[0] if nodes else None


@fn("name", 0, 1)
def _name(e, n, p, s, a) -> str:  # noqa: ANN001
    x = _first_node(a, n, "name")
    if x is None:
        return ""
    return x.tag.rsplit("}", 1)[-1] if isinstance(x, Element) else getattr(x, "name", "")


@fn("local-name", 0, 1)
def _local_name(e, n, p, s, a) -> str:  # noqa: ANN001
    x = _first_node(a, n, "local-name")
    if x is None:
        return ""
    return local_name(x.tag) if isinstance(x, Element) else local_name(getattr(x, "name", ""))


# --- ODK: documents ---------------------------------------------------------------------------
@fn("current", 0, 0)
def _current(e, n, p, s, a) -> list:  # noqa: ANN001
    return [e.current]


@fn("instance", 0, 1)
def _instance(e, n, p, s, a) -> list:  # noqa: ANN001
    if not a:
        return [e.doc(e.root)]
    iid = to_string(a[0])
    el = e.instances.get(iid)
    if el is None:
        raise XPathEvalError(f"no secondary instance with id {iid!r}")
    return [e.doc(el)]


@fn("once", 1, 1, lazy=True)
def _once(e, n, p, s, a) -> object:  # noqa: ANN001
    existing = string_value(n)
    return existing if existing else a[0](e, n, p, s)


@fn("if", 3, 3, lazy=True)
def _if(e, n, p, s, a) -> object:  # noqa: ANN001
    return a[1](e, n, p, s) if to_boolean(a[0](e, n, p, s)) else a[2](e, n, p, s)


@fn("coalesce", 2, 2)
def _coalesce(e, n, p, s, a) -> str:  # noqa: ANN001
    first = to_string(a[0])
    return first if first else to_string(a[1])


@fn("indexed-repeat", 3)
def _indexed_repeat(e, n, p, s, a) -> list:  # noqa: ANN001
    if len(a) % 2 == 0:
        raise XPathEvalError("indexed-repeat() takes a target then (repeat, index) pairs")
    chosen = None
    for i in range(1, len(a), 2):
        repeats = _nodes(a[i], "indexed-repeat")
        if chosen is not None:
            repeats = [r for r in repeats if _is_under(e, r, chosen)]
        idx = to_number(a[i + 1])
        if idx != idx or not 1 <= idx <= len(repeats):
            return []
        chosen = repeats[int(idx) - 1]
    return [t for t in _nodes(a[0], "indexed-repeat") if _is_under(e, t, chosen)][:1]


def _is_under(e, node, ancestor) -> bool:  # noqa: ANN001
    cur = node
    while cur is not None:
        if cur is ancestor:
            return True
        cur = e.parent(cur)
    return False


# --- ODK: select answers --------------------------------------------------------------------
@fn("selected", 2, 2)
def _selected(e, n, p, s, a) -> bool:  # noqa: ANN001
    return to_string(a[1]).strip() in to_string(a[0]).split()


@fn("count-selected", 1, 1)
def _count_selected(e, n, p, s, a) -> float:  # noqa: ANN001
    return float(len(to_string(a[0]).split()))


@fn("selected-at", 2, 2)
def _selected_at(e, n, p, s, a) -> str:  # noqa: ANN001
    parts, i = to_string(a[0]).split(), to_number(a[1])
    return parts[int(i)] if i == i and 0 <= i < len(parts) else ""


@fn("choice-name", 2, 2)
def _choice_name(e, n, p, s, a) -> str:  # noqa: ANN001
    value, path = to_string(a[0]), to_string(a[1]).strip()
    if e.choice_name is None or not value:
        return ""
    return e.choice_name(value, path) or ""


@fn("pulldata", 4, 4)
def _pulldata(e, n, p, s, a) -> str:  # noqa: ANN001
    doc = _instance(e, n, p, s, a[:1])[0]
    field, key, query = to_string(a[1]), to_string(a[2]), to_string(a[3])
    for top in doc.children():
        for item in top:
            if any(local_name(c.tag) == key and string_value(c) == query for c in item):
                return next((string_value(c) for c in item if local_name(c.tag) == field), "")
    return ""


@fn("randomize", 1, 2)
def _randomize(e, n, p, s, a) -> list:  # noqa: ANN001
    nodes = _nodes(a[0], "randomize")
    if len(a) > 1:
        seed = int(to_number(a[1])) % 2147483647
        seed = seed + 2147483646 if seed <= 0 else seed
        state = [seed]

        def rnd() -> float:  # Park-Miller, as the spec requires for a reproducible shuffle
            state[0] = state[0] * 16807 % 2147483647
            return (state[0] - 1) / 2147483646
    else:
        rnd = (e.rng or _random).random
    out: list = []
    for i, node in enumerate(nodes):  # inside-out Fisher-Yates
        j = math.floor(rnd() * (i + 1))
        out.append(node)
        if j != i:
            out[i] = out[j]
        out[j] = node
    return out


fn("itext", 1, 1)(lambda e, n, p, s, a: to_string(a[0]))


# --- ODK: strings -----------------------------------------------------------------------------
@fn("regex", 2, 2)
def _regex(e, n, p, s, a) -> bool:  # noqa: ANN001
    try:
        return re.search(to_string(a[1]), to_string(a[0])) is not None
    except re.error as exc:
        raise XPathEvalError(f"bad regular expression {to_string(a[1])!r}: {exc}") from exc


@fn("substr", 2, 3)
def _substr(e, n, p, s, a) -> str:  # noqa: ANN001
    text = to_string(a[0])
    start = to_number(a[1])
    end = to_number(a[2]) if len(a) > 2 else float(len(text))
    if start != start or end != end:
        return ""
    start, end = max(0, min(int(start), len(text))), max(0, min(int(end), len(text)))
    return text[start:end] if start < end else ""


@fn("join", 1)
def _join(e, n, p, s, a) -> str:  # noqa: ANN001
    return to_string(a[0]).join(x for v in a[1:] for x in node_strings(v))


@fn("boolean-from-string", 1, 1)
def _bool_from_string(e, n, p, s, a) -> bool:  # noqa: ANN001
    return to_string(a[0]) in ("true", "1")


@fn("count-non-empty", 1, 1)
def _count_non_empty(e, n, p, s, a) -> float:  # noqa: ANN001
    return float(sum(1 for x in _nodes(a[0], "count-non-empty") if string_value(x)))


@fn("uuid", 0, 1)
def _uuid_fn(e, n, p, s, a) -> str:  # noqa: ANN001
    if not a:
        if e.rng is not None:
            return str(_uuid.UUID(int=e.rng.getrandbits(128), version=4))
        return str(_uuid.uuid4())
    length = to_number(a[0])
    rng = e.rng or _random.SystemRandom()
    alphabet = _string.ascii_letters + _string.digits
    return "".join(rng.choice(alphabet) for _ in range(max(0, int(length))))


@fn("digest", 2, 3)
def _digest(e, n, p, s, a) -> str:  # noqa: ANN001
    algo = to_string(a[1]).upper().replace("-", "")
    names = {"MD5": "md5", "SHA1": "sha1", "SHA256": "sha256", "SHA384": "sha384",
             "SHA512": "sha512"}
    if algo not in names:
        raise XPathEvalError(f"digest(): unsupported algorithm {to_string(a[1])!r}")
    raw = hashlib.new(names[algo], to_string(a[0]).encode("utf-8")).digest()
    encoding = to_string(a[2]).lower() if len(a) > 2 else "base64"
    if encoding == "hex":
        return raw.hex()
    if encoding == "base64":
        return base64.b64encode(raw).decode("ascii")
    raise XPathEvalError(f"digest(): unsupported encoding {encoding!r}")


@fn("base64-decode", 1, 1)
def _b64decode(e, n, p, s, a) -> str:  # noqa: ANN001
    try:
        return base64.b64decode(to_string(a[0]), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return ""


# --- ODK: numbers -----------------------------------------------------------------------------
@fn("int", 1, 1)
def _int(e, n, p, s, a) -> float:  # noqa: ANN001
    return _safe(math.trunc, to_number(a[0]))


def _math1(name: str, f: Callable[[float], float]) -> None:
    def impl(e, n, p, s, a) -> float:  # noqa: ANN001
        try:
            return float(f(to_number(a[0])))
        except (ValueError, OverflowError):
            return math.nan
    fn(name, 1, 1)(impl)


for _n, _f in (("abs", abs), ("log", math.log), ("log10", math.log10), ("exp", math.exp),
               ("exp10", lambda x: 10.0 ** x), ("sqrt", math.sqrt), ("sin", math.sin),
               ("cos", math.cos), ("tan", math.tan), ("asin", math.asin), ("acos", math.acos),
               ("atan", math.atan)):
    _math1(_n, _f)

fn("pi", 0, 0)(lambda e, n, p, s, a: math.pi)
fn("atan2", 2, 2)(lambda e, n, p, s, a: math.atan2(to_number(a[0]), to_number(a[1])))


@fn("pow", 2, 2)
def _pow(e, n, p, s, a) -> float:  # noqa: ANN001
    try:
        return float(math.pow(to_number(a[0]), to_number(a[1])))
    except (ValueError, OverflowError):
        return math.nan


def _all_numbers(a: list) -> list[float]:
    return [to_number(string_value(x)) if isinstance(v, list) else to_number(v)
            for v in a for x in (v if isinstance(v, list) else [v])]


def _extreme(pick: Callable) -> Callable:
    def impl(e, n, p, s, a) -> float:  # noqa: ANN001
        nums = _all_numbers(a)
        if not nums or any(x != x for x in nums):
            return math.nan
        return float(pick(nums))
    return impl


fn("min", 1)(_extreme(min))
fn("max", 1)(_extreme(max))


@fn("random", 0, 0)
def _random_fn(e, n, p, s, a) -> float:  # noqa: ANN001
    return (e.rng or _random).random()


def _flags(v: object) -> list[bool]:
    # Spec: an answer counts when it converts to a number > 0; node-sets count node by node.
    if isinstance(v, list):
        return [to_number(string_value(x)) > 0 for x in v]
    return [to_number(v) > 0]


def _within(total: float, lo: float, hi: float) -> bool:
    return (lo < 0 or total >= lo) and (hi < 0 or total <= hi)


@fn("checklist", 2)
def _checklist(e, n, p, s, a) -> bool:  # noqa: ANN001
    count = sum(f for v in a[2:] for f in _flags(v))
    return _within(float(count), to_number(a[0]), to_number(a[1]))


@fn("weighted-checklist", 2)
def _weighted_checklist(e, n, p, s, a) -> bool:  # noqa: ANN001
    flags = [f for v in a[2::2] for f in _flags(v)]
    weights = [to_number(w) for v in a[3::2] for w in (v if isinstance(v, list) else [v])]
    total = sum(w for f, w in zip(flags, weights, strict=False) if f)
    return _within(float(total), to_number(a[0]), to_number(a[1]))


# --- ODK: dates and geo -----------------------------------------------------------------------
fn("today", 0, 0)(lambda e, n, p, s, a: today_fn(e.now))
fn("now", 0, 0)(lambda e, n, p, s, a: now_fn(e.now))
fn("date", 1, 1)(lambda e, n, p, s, a: date_fn(a[0]))
fn("date-time", 1, 1)(lambda e, n, p, s, a: date_time_fn(a[0]))
fn("decimal-date-time", 1, 1)(lambda e, n, p, s, a: decimal_date_time(a[0]))
fn("decimal-time", 1, 1)(lambda e, n, p, s, a: decimal_time(a[0], e.now))
fn("format-date", 2, 2)(lambda e, n, p, s, a: format_date(a[0], to_string(a[1])))
fn("format-date-time", 2, 2)(lambda e, n, p, s, a: format_date(a[0], to_string(a[1])))
fn("distance", 1)(lambda e, n, p, s, a: distance([x for v in a for x in node_strings(v)]))
fn("area", 1, 1)(lambda e, n, p, s, a: area(list(node_strings(a[0]))))

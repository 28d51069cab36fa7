"""XPath 1.0 core and ODK XForms functions, with the ODK spec's examples."""

from __future__ import annotations

import base64
import hashlib
import math
import random
import re
from datetime import datetime, timedelta, timezone
from xml.etree.ElementTree import Element, fromstring

import pytest

from forms.xpath import DateValue, evaluate, to_number, to_string

NOW = datetime(2024, 6, 1, 14, 5, 9, 123000, tzinfo=timezone(timedelta(hours=3)))
DOC = """<data>
  <multi>a none c</multi><empty/><d>2024-05-01</d><dt>2024-05-01T10:30:00.000+03:00</dt>
  <nums><v>3</v><v>4.5</v><v>-1</v></nums><flags><f>1</f><f>0</f><f>2</f></flags>
  <rep><q>1</q><in><z>a</z></in><in><z>b</z></in></rep>
  <rep><q>2</q><in><z>c</z></in><in><z>d</z></in></rep>
  <shape>0 0 0 0; 0 1 0 0; 1 1 0 0; 1 0 0 0; 0 0 0 0</shape>
  <calc>kept</calc><blank/>
</data>"""


@pytest.fixture()
def root() -> Element:
    return fromstring(DOC)


def ev(expr: str, root: Element, ctx: Element | None = None, **kw: object) -> object:
    kw.setdefault("now", NOW)
    return evaluate(expr, root if ctx is None else ctx, root=root, **kw)


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("true()", True), ("false()", False), ("not(1)", False), ("boolean('')", False),
        ("boolean('false')", True), ("number('12.5')", 12.5), ("string(3)", "3"),
        ("string(1 div 2)", "0.5"), ("string(0 div 0)", "NaN"), ("string(1 div 0)", "Infinity"),
        ("concat('a', 1, true())", "a1true"), ("contains('abc', 'b')", True),
        ("starts-with('abc', 'ab')", True), ("ends-with('abc', 'bc')", True),
        ("substring-before('1999/04/01', '/')", "1999"),
        ("substring-after('1999/04/01', '/')", "04/01"),
        ("substring('12345', 2, 3)", "234"), ("substring('12345', 1.5, 2.6)", "234"),
        ("substring('12345', 0, 3)", "12"), ("string-length('abc')", 3.0),
        ("normalize-space('  a   b ')", "a b"), ("translate('bar', 'abc', 'ABC')", "BAr"),
        ("translate('--aaa--', 'abc-', 'ABC')", "AAA"),
        ("floor(-1.5)", -2.0), ("ceiling(1.1)", 2.0), ("round(2.5)", 3.0),
        ("round(-2.5)", -2.0), ("round(1.2345, 2)", 1.23), ("round(1.235, 2)", 1.24),
        ("round(1234.5, -2)", 1200.0),
    ],
)
def test_xpath_core_functions(root: Element, expr: str, expected: object) -> None:
    assert ev(expr, root) == expected


def test_sum_count_last_position_name(root: Element) -> None:
    assert ev("sum(/data/nums/v)", root) == 6.5
    assert math.isnan(ev("sum(/data/nums/v | /data/multi)", root))  # type: ignore[arg-type]
    assert ev("count(/data/nums/v)", root) == 3.0
    assert ev("/data/nums/v[last()] = -1", root) is True
    assert ev("name(/data/nums)", root) == "nums"
    assert ev("local-name(/data/*[1])", root) == "multi"


def test_concat_joins_every_node_of_a_node_set(root: Element) -> None:
    assert ev("concat(/data/nums/v, '!')", root) == "34.5-1!"
    assert ev("concat(1 div 2)", root) == "0.5"


def test_if_and_coalesce(root: Element) -> None:
    assert ev("if(/data/empty = '', 'none', 'some')", root) == "none"
    assert ev("coalesce(/data/empty, 0)", root) == "0"
    assert ev("coalesce(/data/d, 0)", root) == "2024-05-01"
    assert ev("coalesce(/data/missing, /data/empty)", root) == ""


def test_selected_count_selected_selected_at(root: Element) -> None:
    assert ev("selected(/data/multi, 'none')", root) is True
    assert ev("selected(/data/multi, 'no')", root) is False
    assert ev("selected('apple baby crimson', ' baby ')", root) is True
    assert ev("count-selected(/data/multi)", root) == 3.0
    assert ev("count-selected('')", root) == 0.0
    assert ev("selected-at('apple baby crimson', 2)", root) == "crimson"
    assert ev("selected-at('apple baby crimson', 0)", root) == "apple"
    assert ev("selected-at('apple baby crimson', 3)", root) == ""
    assert ev("selected-at('apple baby crimson', -1)", root) == ""


def test_choice_name_asks_the_resolver_with_value_and_path(root: Element) -> None:
    seen: list[tuple[str, str]] = []

    def label(value: str, path: str) -> str:
        seen.append((value, path))
        return {"a": "Apple"}.get(value, "")

    got = ev("jr:choice-name(selected-at(/data/multi, 0), ' /data/multi ')", root,
             choice_name_resolver=label)
    assert got == "Apple"
    assert seen == [("a", "/data/multi")]
    assert ev("jr:choice-name('a', '/data/multi')", root) == ""


def test_regex_substr_join(root: Element) -> None:
    assert ev("regex('12345', '[0-9]+')", root) is True
    assert ev("regex('+254712345678', '^\\+?[0-9]{10,13}$')", root) is True
    assert ev("regex('abc', '^[0-9]+$')", root) is False
    assert ev("substr('hello', 2, 3)", root) == "l"
    assert ev("substr('hello', 0, 2)", root) == "he"
    assert ev("substr('hello', 1)", root) == "ello"
    assert ev("join(', ', /data/nums/v)", root) == "3, 4.5, -1"
    assert ev("join('-', 'a', 'b')", root) == "a-b"


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("int('3.7')", 3.0), ("int(-3.7)", -3.0), ("pow(2, 10)", 1024.0), ("abs(-2)", 2.0),
        ("min(/data/nums/v)", -1.0), ("max(/data/nums/v, 10)", 10.0), ("log(1)", 0.0),
        ("log10(1000)", 3.0), ("exp(0)", 1.0), ("exp10(2)", 100.0), ("sqrt(16)", 4.0),
        ("sin(0)", 0.0), ("cos(0)", 1.0), ("tan(0)", 0.0), ("asin(0)", 0.0), ("acos(1)", 0.0),
        ("atan(0)", 0.0), ("atan2(0, 1)", 0.0), ("pi()", math.pi),
    ],
)
def test_odk_number_functions(root: Element, expr: str, expected: float) -> None:
    assert ev(expr, root) == pytest.approx(expected)


def test_number_functions_give_nan_for_bad_input(root: Element) -> None:
    for expr in ("int('x')", "sqrt(-1)", "log(0 - 1)", "min(/data/empty)",
                 "min(/data/nums/v, 'x')"):
        assert math.isnan(ev(expr, root))  # type: ignore[arg-type]


@pytest.mark.parametrize(("expr", "expected"), [
    ("boolean-from-string('true')", True), ("boolean-from-string('1')", True),
    ("boolean-from-string('false')", False), ("boolean-from-string('yes')", False),
    ("checklist(1, 2, /data/flags/f)", True), ("checklist(-1, 1, /data/flags/f)", False),
    ("checklist(3, -1, 1, 1, 1)", True), ("weighted-checklist(5, -1, 1, 2, 0, 10, 1, 3)", True),
    ("weighted-checklist(-1, 4, 1, 2, 1, 3)", False),
])
def test_boolean_from_string_checklist_weighted_checklist(root: Element, expr: str,
                                                          expected: bool) -> None:
    assert ev(expr, root) is expected


def test_count_non_empty(root: Element) -> None:
    assert ev("count-non-empty(/data/*)", root) == 9.0  # all but <empty/> and <blank/>


def test_position_of_a_node_among_same_named_siblings(root: Element) -> None:
    second = root.findall("rep")[1].find("q")
    assert ev("position(..)", root, second) == 2.0
    assert ev("position(/data/rep[2]/in[2])", root) == 2.0


def test_indexed_repeat_single_and_nested(root: Element) -> None:
    got = ev("indexed-repeat(/data/rep/q, /data/rep, 2)", root)
    assert [to_string([n]) for n in got] == ["2"]  # type: ignore[union-attr]
    got = ev("indexed-repeat(/data/rep/in/z, /data/rep, 2, /data/rep/in, 1)", root)
    assert to_string(got) == "c"
    assert ev("indexed-repeat(/data/rep/q, /data/rep, 5)", root) == []


def test_today_now_date_conversions(root: Element) -> None:
    today = ev("today()", root)
    assert today == "2024-06-01" and isinstance(today, DateValue)
    assert ev("now()", root) == "2024-06-01T14:05:09.123+03:00"
    assert ev("date('2020-01-01') = '2020-01-01'", root) is True
    assert ev("date(0)", root) == "1970-01-01"
    assert ev("date(19000)", root) == "2022-01-08"
    assert ev("number(date('1970-01-10'))", root) == 9.0
    assert ev("today() - date('2024-05-01')", root) == 31.0
    assert ev("string(date(today() + 1))", root) == "2024-06-02"
    assert ev("decimal-date-time('1970-01-01T12:00:00.000Z')", root) == 0.5
    assert ev("decimal-date-time(/data/dt)", root) == pytest.approx(19844.3125)
    seattle = datetime(2024, 6, 1, 8, 0, tzinfo=timezone(timedelta(hours=-7)))
    assert ev("decimal-time('06:00:00.000-07:00')", root, now=seattle) == 0.25
    assert ev("decimal-time('06:00:00.000-07:00')", root) == pytest.approx(16 / 24)  # at +03:00
    assert ev("decimal-time('18:00')", root) == 0.75
    assert ev("date-time(0.5)", root) == "1970-01-01T12:00:00.000Z"


def test_dates_compare_as_days_with_date_strings_in_nodes(root: Element) -> None:
    d = root.find("d")
    assert ev(". <= today()", root, d) is True
    assert ev(". >= date('2020-01-01')", root, d) is True
    assert ev(". > today()", root, d) is False
    assert ev(". = date('2024-05-01')", root, d) is True
    assert ev("/data/dt < now()", root) is True
    assert ev("/data/blank <= today()", root) is False


def test_format_date_and_format_date_time(root: Element) -> None:
    assert ev("format-date('2024-03-05', '%Y %y %m %n %b %d %e %a')", root) == \
        "2024 24 03 3 Mar 05 5 Tue"
    assert ev("format-date-time('2024-03-05T07:08:09.045+03:00', '%H:%M:%S.%3 %h')", root) == \
        "07:08:09.045 7"
    assert ev("format-date(today(), '%e/%n/%Y')", root) == "1/6/2024"
    assert ev("format-date('not a date', '%Y')", root) == ""


def test_uuid_random_once(root: Element) -> None:
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",
                        ev("uuid()", root))  # type: ignore[arg-type]
    assert re.fullmatch(r"[A-Za-z0-9]{12}", ev("uuid(12)", root))  # type: ignore[arg-type]
    assert ev("random()", root, rng=random.Random(1)) == random.Random(1).random()
    assert ev("once(random())", root, root.find("calc")) == "kept"
    assert ev("once(concat('new', ''))", root, root.find("blank")) == "new"


def test_digest_and_base64_decode(root: Element) -> None:
    md5 = base64.b64encode(hashlib.md5(b"abc").digest()).decode()
    assert ev("digest('abc', 'MD5')", root) == md5
    assert ev("digest('abc', 'SHA-1', 'hex')", root) == hashlib.sha1(b"abc").hexdigest()
    assert ev("digest('abc', 'SHA-256', 'hex')", root) == hashlib.sha256(b"abc").hexdigest()
    assert ev("base64-decode('SGVsbG8=')", root) == "Hello"
    assert ev("base64-decode('%%%')", root) == ""


def test_distance_and_area_of_geopoints(root: Element) -> None:
    one_degree = 2 * math.pi * 6378100 / 360
    assert ev("distance('0 0 0 0; 0 1 0 0')", root) == pytest.approx(one_degree)
    assert ev("distance('0 0 0 0', '1 0 0 0')", root) == pytest.approx(one_degree)
    assert ev("area(/data/shape)", root) == pytest.approx(one_degree ** 2, rel=1e-3)


def test_pulldata_and_seeded_randomize_are_reproducible(root: Element) -> None:
    inst = fromstring("<root><item><name>a</name><lbl>A</lbl></item>"
                      "<item><name>b</name><lbl>B</lbl></item>"
                      "<item><name>c</name><lbl>C</lbl></item></root>")
    assert ev("pulldata('c', 'lbl', 'name', 'b')", root, instances={"c": inst}) == "B"
    first = ev("randomize(instance('c')/root/item, 42)", root, instances={"c": inst})
    again = ev("randomize(instance('c')/root/item, 42)", root, instances={"c": inst})
    assert first == again and sorted(map(id, first)) == sorted(map(id, list(inst)))  # type: ignore


def test_jr_itext_returns_its_key(root: Element) -> None:
    assert ev("jr:itext('/data/q:label')", root) == "/data/q:label"


def test_to_number_of_date_strings_is_days_since_epoch() -> None:
    assert to_number("1970-01-02") == 1.0
    assert to_number(DateValue("x", 5.0)) == 5.0
    assert to_number("1970-01-01T12:00:00Z") == 0.5

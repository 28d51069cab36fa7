"""Real expressions from the fixture XLSForms, compiled by pyxform, evaluated as Collect would."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from xml.etree.ElementTree import Element

import pytest
from defusedxml.ElementTree import fromstring

from forms.xpath import ParentMap, compile_expr, evaluate, referenced_paths, to_boolean

XF = "{http://www.w3.org/2002/xforms}"
NOW = datetime(2024, 6, 1, 9, 0, tzinfo=UTC)
BIND_ATTRS = ("relevant", "constraint", "calculate", "required", "readonly",
              "{http://openrosa.org/javarosa}constraintMsg")


class Form:
    """The model of a compiled XForm: primary instance, secondary instances, binds."""

    def __init__(self, xml: bytes) -> None:
        doc = fromstring(xml)
        model = next(doc.iter(f"{XF}model"))
        instances = model.findall(f"{XF}instance")
        self.root: Element = instances[0][0]
        self.instances = {i.get("id"): i for i in instances[1:]}
        self.binds = {b.get("nodeset"): b for b in model.iter(f"{XF}bind")}
        self.itemsets = [i.get("nodeset") for i in doc.iter(f"{XF}itemset")]
        self.parents = ParentMap(self.root, *self.instances.values())

    def node(self, path: str) -> Element:
        found = evaluate(path, self.root, root=self.root, parent_of=self.parents)
        assert isinstance(found, list) and found, path
        return found[0]

    def set(self, path: str, value: str) -> None:
        self.node(path).text = value

    def check(self, path: str, attr: str, ctx: Element | None = None) -> bool:
        expr = self.binds[path].get(attr)
        assert expr is not None, (path, attr)
        return to_boolean(self.eval(expr, ctx if ctx is not None else self.node(path)))

    def eval(self, expr: str, ctx: Element) -> object:
        return evaluate(expr, ctx, root=self.root, instances=self.instances, now=NOW,
                        parent_of=self.parents)


@pytest.fixture()
def form(compiled_xform: Callable[[str], bytes]) -> Callable[[str], Form]:
    return lambda name: Form(compiled_xform(name))


@pytest.mark.parametrize("name", ["water_point", "sdg5_safety", "health_post", "escuela"])
def test_every_expression_in_the_fixture_forms_compiles(form: Callable[[str], Form],
                                                        name: str) -> None:
    f = form(name)
    exprs = [b.get(a) for b in f.binds.values() for a in BIND_ATTRS if b.get(a)]
    exprs += f.itemsets
    assert len(exprs) > 10
    for expr in exprs:
        compile_expr(expr)


def test_water_point_consent_gates_the_group(form: Callable[[str], Form]) -> None:
    f = form("water_point")
    assert f.check("/data/wp", "relevant") is False
    f.set("/data/consent", "yes")
    assert f.check("/data/wp", "relevant") is True


def test_water_point_ward_choice_filter_follows_the_county(form: Callable[[str], Form]) -> None:
    f = form("water_point")
    f.set("/data/wp/county", "turkana")
    ward = f.node("/data/wp/ward")
    nodeset = next(n for n in f.itemsets if n.startswith("instance('ward')"))
    names = [i.findtext(f"{XF}name") for i in f.eval(nodeset, ward)]  # type: ignore[union-attr]
    assert names == ["kalokol", "lodwar"]
    current = "instance('ward')/root/item[county = current()/../county]/name"
    assert [n.text for n in f.eval(current, ward)] == names  # type: ignore[union-attr]


def test_water_point_integer_constraint_and_translated_message(
        form: Callable[[str], Form]) -> None:
    f = form("water_point")
    for value, ok in (("0", True), ("365", True), ("366", False), ("-1", False), ("x", False)):
        f.set("/data/wp/days_broken", value)
        assert f.check("/data/wp/days_broken", "constraint") is ok, value
    msg = f.binds["/data/wp/days_broken"].get("{http://openrosa.org/javarosa}constraintMsg")
    assert f.eval(msg, f.root) == "/data/wp/days_broken:jr:constraintMsg"


@pytest.mark.parametrize(("consent", "safe_now", "asks_safety", "asks_survey"), [
    ("", "", False, False),
    ("no", "", False, False),
    ("yes", "", True, False),
    ("yes", "no", True, False),
    ("yes", "yes", True, True),
])
def test_sdg5_consent_and_safety_check_gate_the_survey(form: Callable[[str], Form], consent: str,
                                                       safe_now: str, asks_safety: bool,
                                                       asks_survey: bool) -> None:
    f = form("sdg5_safety")
    f.set("/data/consent", consent)
    f.set("/data/safe_now", safe_now)
    assert f.check("/data/safe_now", "relevant") is asks_safety
    assert f.check("/data/survey", "relevant") is asks_survey


def test_sdg5_none_is_exclusive_in_the_multi_select(form: Callable[[str], Form]) -> None:
    f = form("sdg5_safety")
    for value, ok in (("physical", True), ("physical sexual", True), ("none", True),
                      ("none physical", False), ("", True)):
        f.set("/data/survey/violence_type", value)
        assert f.check("/data/survey/violence_type", "constraint") is ok, value
    assert f.eval("selected(/data/survey/violence_type, 'none') and "
                  "count-selected(/data/survey/violence_type) > 1", f.root) is False


def test_sdg5_position_of_the_repeat_instance(form: Callable[[str], Form]) -> None:
    f = form("sdg5_safety")
    children = [c for c in f.node("/data/survey") if c.tag.endswith("child") and not c.attrib]
    assert children
    calc = f.binds["/data/survey/child/child_pos"].get("calculate")
    assert calc == "position(..)"
    pos = children[-1].find(f"{XF}child_pos")
    assert f.eval(calc, pos) == float(len(children))


def test_health_post_date_constraint_against_today_and_date(form: Callable[[str], Form]) -> None:
    f = form("health_post")
    path = next(p for p, b in f.binds.items() if "today()" in (b.get("constraint") or ""))
    for value, ok in (("2024-05-01", True), ("2024-06-01", True), ("2024-06-02", False),
                      ("2019-12-31", False)):
        f.set(path, value)
        assert f.check(path, "constraint") is ok, value


def test_health_post_coalesce_total_staff(form: Callable[[str], Form]) -> None:
    f = form("health_post")
    path = next(p for p, b in f.binds.items() if "coalesce" in (b.get("calculate") or ""))
    calc = f.binds[path].get("calculate")
    f.set("/data/staff_nurses", "4")
    assert f.eval(calc, f.node(path)) == 4.0
    f.set("/data/staff_doctors", "2")
    assert f.eval(calc, f.node(path)) == 6.0
    assert referenced_paths(calc) == {"/data/staff_doctors", "/data/staff_nurses"}


def test_escuela_cross_field_constraint(form: Callable[[str], Form]) -> None:
    f = form("escuela")
    path = next(p for p, b in f.binds.items() if "alumnos" in (b.get("constraint") or ""))
    f.set("/data/alumnos", "30")
    f.set(path, "12")
    assert f.check(path, "constraint") is True
    f.set(path, "31")
    assert f.check(path, "constraint") is False


def test_string_length_of_a_phone_number(form: Callable[[str], Form]) -> None:
    f = form("health_post")
    node = f.node("/data/staff_nurses")
    node.text = "0712345678"
    assert f.eval("string-length(.) = 10", node) is True
    node.text = "071234567"
    assert f.eval("string-length(.) = 10", node) is False

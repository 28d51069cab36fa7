"""XPath 1.0 paths, predicates, operators, node-set comparisons and syntax errors."""

from __future__ import annotations

import math
from xml.etree.ElementTree import Element, SubElement, fromstring

import pytest

from forms.xpath import (
    ParentMap,
    XPathEvalError,
    XPathSyntaxError,
    compile_expr,
    evaluate,
    referenced_paths,
    to_boolean,
    to_number,
    to_string,
)

DOC = """<data id="f" version="3">
  <name>Amina</name><age>34</age><empty/><multi>a none c</multi>
  <grp><inner>x</inner><num>5</num></grp>
  <rep jr:template="" xmlns:jr="http://openrosa.org/javarosa"><q>1</q><n>a</n></rep>
  <rep><q>2</q><n>b</n></rep>
  <rep><q>7</q><n>c</n></rep>
</data>"""


@pytest.fixture()
def root() -> Element:
    return fromstring(DOC)


def ev(expr: str, root: Element, ctx: Element | None = None, **kw: object) -> object:
    return evaluate(expr, root if ctx is None else ctx, root=root, **kw)


def strings(nodes: object) -> list[str]:
    assert isinstance(nodes, list)
    return [to_string([n]) for n in nodes]


def test_absolute_path_starts_at_the_root_element_named_in_the_path(root: Element) -> None:
    assert strings(ev("/data/name", root)) == ["Amina"]
    assert ev("/other/name", root) == []
    assert strings(ev("/data/grp/inner", root)) == ["x"]


def test_relative_paths_dot_dotdot_and_child(root: Element) -> None:
    inner = root.find("grp/inner")
    assert strings(ev(".", root, inner)) == ["x"]
    assert strings(ev("../num", root, inner)) == ["5"]
    assert strings(ev("./inner", root, root.find("grp"))) == ["x"]
    assert strings(ev("grp/num", root)) == ["5"]
    assert strings(ev("../../name", root, inner)) == ["Amina"]


def test_positional_and_boolean_predicates(root: Element) -> None:
    assert strings(ev("/data/rep[2]/q", root)) == ["2"]
    assert strings(ev("/data/rep[last()]/n", root)) == ["c"]
    assert strings(ev("/data/rep[position() = 1]/n", root)) == ["a"]
    assert strings(ev("/data/rep[q > 1]/n", root)) == ["b", "c"]
    assert strings(ev("/data/rep[q > 1][1]/n", root)) == ["b"]


def test_star_descendant_and_union_in_document_order(root: Element) -> None:
    assert strings(ev("/data/grp/*", root)) == ["x", "5"]
    assert strings(ev("//q", root)) == ["1", "2", "7"]
    assert strings(ev("/data/age | /data/name", root)) == ["Amina", "34"]


def test_attributes_match_by_local_name(root: Element) -> None:
    assert strings(ev("/data/@version", root)) == ["3"]
    assert ev("count(/data/rep[@jr:template])", root) == 1.0
    assert ev("count(/data/rep[not(@template)])", root) == 2.0


def test_namespaced_instance_tags_match_their_local_names() -> None:
    root = fromstring('<h xmlns="http://www.w3.org/2002/xforms"><data><a>1</a></data></h>')[0]
    assert strings(evaluate("/data/a", root, root=root)) == ["1"]


def test_arithmetic_operators_and_unary_minus(root: Element) -> None:
    assert ev("1 + 2 * 3", root) == 7.0
    assert ev("7 div 2", root) == 3.5
    assert ev("7 mod 3", root) == 1.0
    assert ev("-7 mod 3", root) == -1.0
    assert ev("- /data/age", root) == -34.0
    assert ev("/data/age - 4", root) == 30.0
    assert ev("1 div 0", root) == math.inf
    assert math.isnan(ev("0 div 0", root))  # type: ignore[arg-type]


def test_star_is_multiplication_after_an_operand_and_a_name_test_otherwise(root: Element) -> None:
    assert ev("count(/data/grp/*) * 2", root) == 4.0
    assert ev("/data/grp/num*2", root) == 10.0


def test_and_or_precedence_and_short_circuit(root: Element) -> None:
    assert ev("true() or false() and false()", root) is True
    assert ev("false() and unknown-fn()", root) is False


@pytest.mark.parametrize(("expr", "expected"), [
    ("/data/rep/q = 2", True), ("/data/rep/q != 2", True), ("/data/rep/q > 6", True),
    ("/data/rep/q = 3", False), ("/data/rep/q = /data/grp/num", False),
    ("/data/missing = ''", False), ("/data/rep/q = true()", True),
])
def test_nodeset_comparisons_are_existential(root: Element, expr: str, expected: bool) -> None:
    assert ev(expr, root) is expected


def test_empty_node_is_empty_string_and_nan(root: Element) -> None:
    assert ev("/data/empty = ''", root) is True
    assert ev("/data/empty > 0", root) is False
    assert ev("/data/empty < 0", root) is False
    assert math.isnan(ev("number(/data/empty)", root))  # type: ignore[arg-type]
    assert ev("/data/empty + 1", root) != ev("/data/empty + 1", root)  # NaN


def test_string_and_number_comparisons_follow_xpath_types(root: Element) -> None:
    assert ev("'1.0' = 1", root) is True
    assert ev("'1.0' = '1'", root) is False
    assert ev("'abc' < 'abd'", root) is False  # both NaN as numbers
    assert ev("true() = 'x'", root) is True


def test_string_literals_in_both_quotes(root: Element) -> None:
    assert ev("concat(\"it's\", ' \"ok\"')", root) == "it's \"ok\""


def test_coercions_follow_xpath_and_javarosa_number_format(root: Element) -> None:
    assert to_string(3.0) == "3"
    assert to_string(0.5) == "0.5"
    assert to_string(math.nan) == "NaN"
    assert to_string(math.inf) == "Infinity"
    assert to_string(-math.inf) == "-Infinity"
    assert to_string(True) == "true"
    assert to_number(" 12 ") == 12.0
    assert math.isnan(to_number("1e3"))
    assert to_boolean("false") is True
    assert to_boolean(math.nan) is False
    assert to_boolean([]) is False


def test_current_is_the_context_of_the_whole_expression() -> None:
    inst = fromstring("<root><item><name>w1</name><county>a</county></item>"
                      "<item><name>w2</name><county>b</county></item>"
                      "<item><name>w3</name><county>a</county></item></root>")
    root = fromstring("<data><wp><county>a</county><ward/></wp></data>")
    ward = root.find("wp/ward")
    got = evaluate("instance('ward')/root/item[county = current()/../county]/name", ward,
                   root=root, instances={"ward": inst})
    assert strings(got) == ["w1", "w3"]


def test_instance_accepts_the_instance_wrapper_element() -> None:
    wrapper = fromstring('<instance id="yn"><root><item><name>yes</name></item></root></instance>')
    root = fromstring("<data/>")
    got = evaluate("count(instance('yn')/root/item)", root, root=root, instances={"yn": wrapper})
    assert got == 1.0


def test_unknown_instance_and_unknown_function_raise_eval_errors(root: Element) -> None:
    with pytest.raises(XPathEvalError):
        ev("instance('nope')/root", root)
    with pytest.raises(XPathEvalError, match="unknown function"):
        ev("no-such-fn(1)", root)


def test_custom_functions_are_called_with_evaluated_arguments(root: Element) -> None:
    got = ev("shout(/data/name)", root, functions={"shout": lambda v: to_string(v).upper()})
    assert got == "AMINA"


@pytest.mark.parametrize(
    ("expr", "position"),
    [("1 +", 3), ("/data/a[", 8), ("(1", 2), ("concat('a' 'b')", 11), ("'open", 0),
     ("a ! b", 2), ("", 0), ("1 2", 2)],
)
def test_syntax_errors_report_the_position(expr: str, position: int) -> None:
    with pytest.raises(XPathSyntaxError) as info:
        compile_expr(expr)
    assert info.value.position == position
    assert isinstance(info.value, ValueError)


def test_wrong_arity_of_a_builtin_fails_at_compile_time() -> None:
    with pytest.raises(XPathSyntaxError, match="selected"):
        compile_expr("selected(.)")


def test_compiled_expressions_are_cached_and_reusable(root: Element) -> None:
    expr = compile_expr("/data/age > 18")
    assert compile_expr("/data/age > 18") is expr
    assert evaluate(expr, root, root=root) is True


def test_parent_map_finds_nodes_added_after_it_was_built(root: Element) -> None:
    parents = ParentMap(root)
    new = SubElement(root, "rep")
    SubElement(new, "q").text = "9"
    q = new.find("q")
    # the jr:template rep is not a repeat instance, so the new one is the third
    assert evaluate("position(..)", q, root=root, parent_of=parents) == 3.0


def test_referenced_paths_lists_absolute_and_resolved_relative_paths() -> None:
    assert referenced_paths(" /data/a  + /data/g/b [ /data/c = 1]") == {
        "/data/a", "/data/g/b", "/data/c"}
    assert referenced_paths("../x > 1 and . < 3", "/data/g/q") == {"/data/g/x", "/data/g/q"}
    assert referenced_paths("instance('w')/root/item[county = current()/../county]",
                            "/data/wp/ward") == {"/data/wp/county"}

"""Compile the XPath AST into closures and evaluate them over ElementTree documents."""

from __future__ import annotations

import math
import random as _random
from collections.abc import Callable, Mapping
from datetime import datetime
from xml.etree.ElementTree import Element

from forms.xpath.errors import XPathEvalError
from forms.xpath.values import (
    AttrNode,
    DateValue,
    DocNode,
    Node,
    ParentMap,
    TextNode,
    local_name,
    string_to_number,
    string_value,
    to_boolean,
    to_number,
    to_string,
)

# A compiled expression: fn(env, context node, position, size) -> value.
Fn = Callable[["Env", Node, int, int], object]


class Env:
    """Everything an evaluation reads besides the context node."""

    __slots__ = ("root", "instances", "now", "functions", "parent_of", "current",
                 "choice_name", "rng", "_docs")

    def __init__(self, root: Element, instances: Mapping[str, Element] | None,
                 now: datetime | None, functions: Mapping[str, Callable] | None,
                 parent_of: Callable[[Element], Element | None] | None, current: Node,
                 choice_name: Callable[[str, str], str | None] | None,
                 rng: _random.Random | None) -> None:
        self.root = root
        self.instances = instances or {}
        self.now = now
        self.functions = functions or {}
        self.parent_of = parent_of
        self.current = current
        self.choice_name = choice_name
        self.rng = rng
        self._docs: dict[int, DocNode] = {}

    def doc(self, el: Element) -> DocNode:
        """One DocNode per document element, so node identity holds within an evaluation."""
        d = self._docs.get(id(el))
        if d is None:
            d = self._docs[id(el)] = DocNode(el)
        return d

    def parent(self, node: Node) -> Node | None:
        if isinstance(node, (AttrNode, TextNode)):
            return node.parent
        if isinstance(node, DocNode):
            return None
        if self.parent_of is None:
            self.parent_of = ParentMap(self.root, *self.instances.values())
        p = self.parent_of(node)
        if p is not None:
            if local_name(p.tag) == "instance" and any(p is i for i in self.instances.values()):
                return self.doc(p)
            return p
        if node is self.root:
            return self.doc(node)
        for inst in self.instances.values():
            if inst is node:
                return self.doc(node)
        return None

    def root_doc(self, node: Node) -> DocNode:
        """The document node of the tree holding `node`."""
        cur: Node | None = node
        while cur is not None:
            if isinstance(cur, DocNode):
                return cur
            nxt = self.parent(cur)
            if nxt is None:
                return self.doc(cur)  # type: ignore[arg-type]
            cur = nxt
        return self.doc(self.root)


def _children(node: Node) -> list:
    if isinstance(node, Element):
        return list(node)
    if isinstance(node, DocNode):
        return node.children()
    return []


def _descendants(node: Node) -> list:
    out: list = []
    for c in _children(node):
        out.extend(c.iter())
    return out


def _axis(env: Env, axis: str, node: Node) -> list:
    if axis == "child":
        return _children(node)
    if axis == "attribute":
        if isinstance(node, Element):
            return [AttrNode(node, k, v) for k, v in node.attrib.items()]
        return []
    if axis == "self":
        return [node]
    if axis == "parent":
        p = env.parent(node)
        return [] if p is None else [p]
    if axis == "descendant":
        return _descendants(node)
    if axis == "descendant-or-self":
        return [node, *_descendants(node)]
    if axis in ("ancestor", "ancestor-or-self"):
        out = [node] if axis == "ancestor-or-self" else []
        p = env.parent(node)
        while p is not None:
            out.append(p)
            p = env.parent(p)
        return out
    parent = env.parent(node)
    if not isinstance(parent, (Element, DocNode)):
        return []
    sibs = _children(parent)
    i = next(k for k, s in enumerate(sibs) if s is node)
    return sibs[i + 1:] if axis == "following-sibling" else sibs[:i][::-1]


def _name_test(test: tuple, axis: str) -> Callable[[Node], bool] | None:
    kind = test[0]
    if kind == "node":
        return None
    if kind == "text":
        return lambda n: isinstance(n, TextNode)
    if axis == "attribute":
        if kind == "any":
            return None
        name = test[1]
        return lambda n: local_name(n.name) == name
    if kind == "any":
        return lambda n: isinstance(n, Element)
    name, suffix = test[1], "}" + test[1]

    def match(n: Node) -> bool:
        if not isinstance(n, Element):
            return False
        t = n.tag
        return t == name or (t[:1] == "{" and t.endswith(suffix)) or (
            ":" in t and t.rsplit(":", 1)[1] == name)
    return match


def _apply_predicates(env: Env, nodes: list, preds: list[Fn]) -> list:
    for pred in preds:
        size = len(nodes)
        kept = []
        for i, n in enumerate(nodes, 1):
            v = pred(env, n, i, size)
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                if v == i:
                    kept.append(n)
            elif to_boolean(v):
                kept.append(n)
        nodes = kept
    return nodes


def _dedupe(nodes: list) -> list:
    seen: set = set()
    out = []
    for n in nodes:
        key = n if isinstance(n, (AttrNode, TextNode)) else id(n)
        if key not in seen:
            seen.add(key)
            out.append(n)
    return out


def _compile_step(step: tuple, compile_: Callable[[tuple], Fn]) -> Callable[[Env, list], list]:
    axis, test, pred_asts = step
    preds = [compile_(p) for p in pred_asts]
    match = _name_test(test, axis)
    reverse = axis in ("ancestor", "ancestor-or-self", "preceding-sibling")

    if axis == "child" and test[0] == "name" and not preds:
        name, suffix = test[1], "}" + test[1]

        def child_step(env: Env, nodes: list) -> list:
            out = []
            for node in nodes:
                kids = node if isinstance(node, Element) else _children(node)
                for c in kids:
                    t = c.tag
                    if t == name or (t[:1] == "{" and t.endswith(suffix)):
                        out.append(c)
            return out
        return child_step

    def step_fn(env: Env, nodes: list) -> list:
        out: list = []
        for node in nodes:
            if test[0] == "text":
                cand = [TextNode(node, node.text)] if isinstance(node, Element) and node.text \
                    else []
            else:
                cand = _axis(env, axis, node)
                if match is not None:
                    cand = [c for c in cand if match(c)]
            if preds:
                cand = _apply_predicates(env, cand, preds)
            if reverse:
                cand.reverse()
            out.extend(cand)
        if len(nodes) > 1 or axis not in ("child", "attribute", "self"):
            out = _dedupe(out)
        return out
    return step_fn


def _compare(op: str, a: object, b: object) -> bool:
    """XPath 1.0 comparison, with node-sets compared node by node."""
    if isinstance(a, list) or isinstance(b, list):
        if isinstance(a, bool) or isinstance(b, bool):
            return _compare_atoms(op, to_boolean(a), to_boolean(b))
        left = [string_value(n) for n in a] if isinstance(a, list) else [a]
        right = [string_value(n) for n in b] if isinstance(b, list) else [b]
        return any(_compare_atoms(op, x, y) for x in left for y in right)
    return _compare_atoms(op, a, b)


def _compare_atoms(op: str, a: object, b: object) -> bool:
    if op in ("=", "!="):
        if isinstance(a, bool) or isinstance(b, bool):
            eq = to_boolean(a) == to_boolean(b)
        elif isinstance(a, (float, int, DateValue)) or isinstance(b, (float, int, DateValue)):
            eq = to_number(a) == to_number(b)
        else:
            eq = a == b
        return eq if op == "=" else not eq
    # Relational operators compare numbers; date strings count as days (JavaRosa).
    x, y = to_number(a), to_number(b)
    if op == "<":
        return x < y
    if op == "<=":
        return x <= y
    if op == ">":
        return x > y
    return x >= y


def _arith(op: str, x: float, y: float) -> float:
    if op == "+":
        return x + y
    if op == "-":
        return x - y
    if op == "*":
        return x * y
    if op == "div":
        if y == 0:
            if x != x or x == 0:
                return math.nan
            return math.copysign(math.inf, x) * math.copysign(1, y)
        return x / y
    if y == 0 or x != x or y != y or math.isinf(x):
        return math.nan
    if math.isinf(y):
        return x
    return math.fmod(x, y)


def compile_ast(ast: tuple, functions: Mapping[str, Callable]) -> Fn:
    """Turn an AST into a closure; `functions` is the built-in table (name -> spec)."""

    def c(node: tuple) -> Fn:
        kind = node[0]
        if kind in ("num", "str"):
            value = node[1]
            return lambda env, n, p, s: value
        if kind == "var":
            raise XPathEvalError(f"variables are not supported: ${node[1]}")
        if kind == "neg":
            inner = c(node[1])
            return lambda env, n, p, s: -to_number(inner(env, n, p, s))
        if kind == "bin":
            return _binary(node[1], c(node[2]), c(node[3]))
        if kind == "union":
            left, right = c(node[1]), c(node[2])

            def union(env: Env, n: Node, p: int, s: int) -> list:
                a, b = left(env, n, p, s), right(env, n, p, s)
                if not isinstance(a, list) or not isinstance(b, list):
                    raise XPathEvalError("'|' needs node-sets on both sides")
                return _document_order(env, _dedupe(a + b))
            return union
        if kind == "filter":
            prim = c(node[1])
            preds = [c(p) for p in node[2]]

            def filtered(env: Env, n: Node, p: int, s: int) -> object:
                v = prim(env, n, p, s)
                if not isinstance(v, list):
                    raise XPathEvalError("a predicate needs a node-set")
                return _apply_predicates(env, v, preds)
            return filtered
        if kind == "path":
            return _path(node, c)
        if kind == "func":
            return _function(node, c, functions)
        raise XPathEvalError(f"unknown expression node {kind}")

    return c(ast)


def _binary(op: str, left: Fn, right: Fn) -> Fn:
    if op == "or":
        return lambda env, n, p, s: to_boolean(left(env, n, p, s)) or to_boolean(
            right(env, n, p, s))
    if op == "and":
        return lambda env, n, p, s: to_boolean(left(env, n, p, s)) and to_boolean(
            right(env, n, p, s))
    if op in ("=", "!=", "<", "<=", ">", ">="):
        return lambda env, n, p, s: _compare(op, left(env, n, p, s), right(env, n, p, s))
    return lambda env, n, p, s: _arith(op, to_number(left(env, n, p, s)),
                                       to_number(right(env, n, p, s)))


def _document_order(env: Env, nodes: list) -> list:
    if len(nodes) < 2:
        return nodes
    order: dict[int, int] = {}
    docs = {id(env.root_doc(n)): env.root_doc(n) for n in nodes}
    for d in docs.values():
        for el in _descendants(d):
            order[id(el)] = len(order)

    def key(n: Node) -> tuple[int, int]:
        if isinstance(n, (AttrNode, TextNode)):
            return (order.get(id(n.parent), -1), 1)
        return (order.get(id(n), -1), 0)
    return sorted(nodes, key=key)


def _path(node: tuple, c: Callable[[tuple], Fn]) -> Fn:
    start, step_asts = node[1], node[2]
    steps = [_compile_step(st, c) for st in step_asts]
    if start == "rel" and len(step_asts) == 1 and step_asts[0] == ("self", ("node",), []):
        return lambda env, n, p, s: [n]
    if start == "root":
        def begin(env: Env, n: Node, p: int, s: int) -> list:
            # Absolute paths always mean the primary instance, even inside a predicate on
            # instance('x') (ODK spec: instance() does not switch the root for predicates).
            return [env.doc(env.root)]
    elif start == "rel":
        def begin(env: Env, n: Node, p: int, s: int) -> list:
            return [n]
    else:
        head = c(start)

        def begin(env: Env, n: Node, p: int, s: int) -> list:
            v = head(env, n, p, s)
            if not isinstance(v, list):
                raise XPathEvalError("a path step needs a node-set to start from")
            return v

    def run(env: Env, n: Node, p: int, s: int) -> list:
        nodes = begin(env, n, p, s)
        for st in steps:
            if not nodes:
                break
            nodes = st(env, nodes)
        return nodes
    return run


def _function(node: tuple, c: Callable[[tuple], Fn],
              functions: Mapping[str, Callable]) -> Fn:
    name, arg_asts = node[1], node[2]
    args = [c(a) for a in arg_asts]
    local = name.rsplit(":", 1)[-1]
    builtin = functions.get(name) or functions.get(local)
    if builtin is not None:
        check = getattr(builtin, "arity", None)
        if check is not None and not check[0] <= len(args) <= check[1]:
            raise XPathEvalError(f"{name}() takes {check[0]}..{check[1]} arguments, "
                                 f"got {len(args)}")
        if getattr(builtin, "lazy", False):
            return lambda env, n, p, s: _call_custom(env, name, local, n, p, s, args) \
                if (name in env.functions or local in env.functions) \
                else builtin(env, n, p, s, args)

    def call(env: Env, n: Node, p: int, s: int) -> object:
        custom = env.functions.get(name) or env.functions.get(local)
        values = [a(env, n, p, s) for a in args]
        if custom is not None:
            return custom(*values)
        if builtin is None:
            raise XPathEvalError(f"unknown function {name}()")
        return builtin(env, n, p, s, values)
    return call


def _call_custom(env: Env, name: str, local: str, n: Node, p: int, s: int, args: list) -> object:
    custom = env.functions.get(name) or env.functions.get(local)
    return custom(*[a(env, n, p, s) for a in args])


__all__ = ["Env", "compile_ast", "string_to_number", "to_string"]

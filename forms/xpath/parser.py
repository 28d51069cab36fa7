"""XPath 1.0 lexer and recursive-descent parser producing a small tuple AST."""

from __future__ import annotations

import re

from forms.xpath.errors import XPathSyntaxError

# AST shapes (tuples, cheap to build and walk):
#   ("num", float) ("str", str) ("var", name) ("neg", e) ("bin", op, l, r) ("union", l, r)
#   ("func", name, [args]) ("filter", primary, [preds])
#   ("path", start, [steps])  start: "root" | "rel" | ast (a filter expression)
#   step: (axis, test, [preds]); test: ("name", local) | ("any",) | ("node",) | ("text",)

AXES = frozenset({
    "child", "attribute", "self", "parent", "descendant", "descendant-or-self",
    "ancestor", "ancestor-or-self", "following-sibling", "preceding-sibling",
})
NODE_TYPES = frozenset({"node", "text", "comment", "processing-instruction"})
OPERATOR_NAMES = frozenset({"and", "or", "div", "mod"})

_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<num>\d+(?:\.\d*)?|\.\d+)
  | (?P<str>"[^"]*"|'[^']*')
  | (?P<sym>//|::|!=|<=|>=|\.\.|[/()\[\]@,|+\-=<>*.$])
  | (?P<name>[A-Za-z_][\w.\-]*(?::(?:[A-Za-z_][\w.\-]*|\*))?)
    """,
    re.VERBOSE,
)

# After these tokens, '*' is a name test and a name is not an operator (XPath 1.0 §3.7).
_NO_OPERATOR_AFTER = frozenset({"@", "::", "(", "[", ",", "/", "//", "|", "+", "-", "=", "!=",
                                 "<", "<=", ">", ">=", "and", "or", "div", "mod", "*op"})


def tokenize(src: str) -> list[tuple[str, str, int]]:
    """Split an expression into (kind, value, position) tokens, disambiguating operators."""
    tokens: list[tuple[str, str, int]] = []
    pos, n = 0, len(src)
    while pos < n:
        m = _TOKEN_RE.match(src, pos)
        if m is None:
            raise XPathSyntaxError(f"unexpected character {src[pos]!r}", src, pos)
        kind, value = m.lastgroup, m.group()
        start, pos = pos, m.end()
        if kind == "ws":
            continue
        prev = tokens[-1][1] if tokens and tokens[-1][0] in ("sym", "op") else None
        operator_ok = bool(tokens) and (prev is None or prev not in _NO_OPERATOR_AFTER)
        if prev == "*op":
            operator_ok = False
        if kind == "sym" and value == "*":
            if operator_ok:
                tokens.append(("op", "*op", start))
            else:
                tokens.append(("name", "*", start))
            continue
        if kind == "name":
            if operator_ok and value in OPERATOR_NAMES:
                tokens.append(("op", value, start))
                continue
            rest = src[pos:].lstrip()
            if rest.startswith("::"):
                kind = "axis"
            elif rest.startswith("(") and value not in NODE_TYPES:
                kind = "func"
            elif rest.startswith("(") and value in NODE_TYPES:
                kind = "nodetype"
        if kind == "sym" and value in ("/", "//", "|", "+", "-", "=", "!=", "<", "<=", ">", ">="):
            kind = "op"
        tokens.append((kind, value, start))
    tokens.append(("eof", "", n))
    return tokens


class _Parser:
    def __init__(self, src: str) -> None:
        self.src = src
        self.toks = tokenize(src)
        self.i = 0

    def peek(self) -> tuple[str, str, int]:
        return self.toks[self.i]

    def next(self) -> tuple[str, str, int]:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def at(self, *values: str) -> bool:
        kind, value, _ = self.toks[self.i]
        return kind in ("sym", "op") and value in values

    def expect(self, value: str) -> None:
        kind, got, pos = self.next()
        if got != value or kind not in ("sym", "op"):
            raise XPathSyntaxError(f"expected {value!r}, found {got or 'end of expression'!r}",
                                   self.src, pos)

    def error(self, message: str) -> XPathSyntaxError:
        _, got, pos = self.peek()
        return XPathSyntaxError(f"{message}, found {got or 'end of expression'!r}", self.src, pos)

    def parse(self) -> tuple:
        if self.peek()[0] == "eof":
            raise self.error("empty expression")
        node = self.binary(0)
        if self.peek()[0] != "eof":
            raise self.error("unexpected token")
        return node

    _LEVELS = (("or",), ("and",), ("=", "!="), ("<", "<=", ">", ">="), ("+", "-"),
               ("*op", "div", "mod"))

    def binary(self, level: int) -> tuple:
        if level == len(self._LEVELS):
            return self.unary()
        ops = self._LEVELS[level]
        left = self.binary(level + 1)
        while self.peek()[0] == "op" and self.peek()[1] in ops:
            op = self.next()[1]
            op = "*" if op == "*op" else op
            left = ("bin", op, left, self.binary(level + 1))
        return left

    def unary(self) -> tuple:
        if self.at("-"):
            self.next()
            return ("neg", self.unary())
        left = self.path_expr()
        while self.at("|"):
            self.next()
            left = ("union", left, self.path_expr())
        return left

    def path_expr(self) -> tuple:
        kind, value, _ = self.peek()
        if kind in ("num", "str", "func") or (kind == "sym" and value in ("(", "$")):
            primary = self.primary()
            preds = self.predicates()
            node = ("filter", primary, preds) if preds else primary
            if self.at("/", "//"):
                return ("path", node, self.relative_steps(leading=True))
            return node
        if self.at("/"):
            self.next()
            if self._step_starts():
                return ("path", "root", self.relative_steps())
            return ("path", "root", [])
        if self.at("//"):
            return ("path", "root", self.relative_steps(leading=True))
        if self._step_starts():
            return ("path", "rel", self.relative_steps())
        raise self.error("expected an expression")

    def _step_starts(self) -> bool:
        kind, value, _ = self.peek()
        return kind in ("name", "axis", "nodetype") or (
            kind == "sym" and value in (".", "..", "@"))

    def relative_steps(self, leading: bool = False) -> list:
        steps: list = []
        if leading:
            sep = self.next()[1]
            if sep == "//":
                steps.append(("descendant-or-self", ("node",), []))
        steps.append(self.step())
        while self.at("/", "//"):
            if self.next()[1] == "//":
                steps.append(("descendant-or-self", ("node",), []))
            steps.append(self.step())
        return steps

    def step(self) -> tuple:
        kind, value, pos = self.peek()
        if kind == "sym" and value == ".":
            self.next()
            return ("self", ("node",), [])
        if kind == "sym" and value == "..":
            self.next()
            return ("parent", ("node",), [])
        axis = "child"
        if kind == "sym" and value == "@":
            self.next()
            axis = "attribute"
        elif kind == "axis":
            self.next()
            if value not in AXES:
                raise XPathSyntaxError(f"unsupported axis {value!r}", self.src, pos)
            axis = value
            self.expect("::")
        kind, value, pos = self.next()
        if kind == "name":
            local = value.rsplit(":", 1)[-1]
            test = ("any",) if local == "*" else ("name", local)
        elif kind == "nodetype":
            self.expect("(")
            self.expect(")")
            test = ("text",) if value == "text" else ("node",)
        else:
            raise XPathSyntaxError(f"expected a node test, found {value or 'end'!r}",
                                   self.src, pos)
        return (axis, test, self.predicates())

    def predicates(self) -> list:
        preds = []
        while self.at("["):
            self.next()
            preds.append(self.binary(0))
            self.expect("]")
        return preds

    def primary(self) -> tuple:
        kind, value, pos = self.next()
        if kind == "num":
            return ("num", float(value))
        if kind == "str":
            return ("str", value[1:-1])
        if kind == "sym" and value == "(":
            node = self.binary(0)
            self.expect(")")
            return node
        if kind == "sym" and value == "$":
            kind, name, pos = self.next()
            if kind != "name":
                raise XPathSyntaxError("expected a variable name", self.src, pos)
            return ("var", name)
        # function call
        self.expect("(")
        args = []
        if not self.at(")"):
            args.append(self.binary(0))
            while self.at(","):
                self.next()
                args.append(self.binary(0))
        self.expect(")")
        return ("func", value, args, pos)


def parse(src: str) -> tuple:
    """Parse an XPath 1.0 expression into an AST; raises XPathSyntaxError with the position."""
    return _Parser(src).parse()

"""XPath 1.0 with the ODK XForms functions, evaluated over ElementTree as JavaRosa does."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import lru_cache
from xml.etree.ElementTree import Element

from forms.xpath.errors import XPathError, XPathEvalError, XPathSyntaxError
from forms.xpath.evaluator import Env, Fn, compile_ast
from forms.xpath.functions import FUNCTIONS
from forms.xpath.parser import parse
from forms.xpath.paths import ast_paths
from forms.xpath.values import (
    DateValue,
    ParentMap,
    format_number,
    to_boolean,
    to_number,
    to_string,
)

__all__ = [
    "DateValue", "Expr", "ParentMap", "XPathError", "XPathEvalError", "XPathSyntaxError",
    "compile_expr", "evaluate", "format_number", "referenced_paths", "to_boolean",
    "to_number", "to_string",
]


class Expr:
    """A parsed and compiled expression; reuse it, evaluation does not reparse."""

    __slots__ = ("source", "ast", "fn")

    def __init__(self, source: str, ast: tuple, fn: Fn) -> None:
        self.source, self.ast, self.fn = source, ast, fn

    def __repr__(self) -> str:
        return f"Expr({self.source!r})"


@lru_cache(maxsize=4096)
def compile_expr(expr: str) -> Expr:
    """Parse and compile once (cached); XPathSyntaxError names the position of a bad token."""
    ast = parse(expr)
    try:
        fn = compile_ast(ast, FUNCTIONS)
    except XPathEvalError as exc:
        raise XPathSyntaxError(str(exc), expr, 0) from exc
    return Expr(expr, ast, fn)


def evaluate(
    expr: str | Expr,
    context: Element,
    *,
    root: Element,
    instances: Mapping[str, Element] | None = None,
    now: datetime | None = None,
    functions: Mapping[str, Callable[..., object]] | None = None,
    parent_of: Callable[[Element], Element | None] | None = None,
    current: Element | None = None,
    choice_name_resolver: Callable[[str, str], str | None] | None = None,
    rng: random.Random | None = None,
) -> object:
    """Evaluate at `context`: returns str, float, bool or list of nodes (a node-set).

    `parent_of` (e.g. a ParentMap built once per document) avoids rebuilding parents per call;
    `choice_name_resolver(value, path)` gives jr:choice-name its label in the current language;
    `functions` adds or overrides functions (called with evaluated arguments).
    """
    compiled = compile_expr(expr) if isinstance(expr, str) else expr
    env = Env(root, instances, now, functions, parent_of,
              context if current is None else current, choice_name_resolver, rng)
    return compiled.fn(env, context, 1, 1)


def referenced_paths(expr: str | Expr, context_path: str | None = None) -> set[str]:
    """Absolute primary-instance paths an expression reads (relative ones need context_path)."""
    compiled = compile_expr(expr) if isinstance(expr, str) else expr
    return ast_paths(compiled.ast, context_path)

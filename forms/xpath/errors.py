"""Typed errors of the XPath evaluator."""

from __future__ import annotations


class XPathError(ValueError):
    """Base for every XPath error; `code` is stable for callers mapping errors."""

    code = "xpath"


class XPathSyntaxError(XPathError):
    """The expression does not parse; `position` is the 0-based offset of the bad token."""

    code = "xpath.syntax"

    def __init__(self, message: str, expr: str, position: int) -> None:
        super().__init__(f"{message} at position {position} in {expr!r}")
        self.message = message
        self.expr = expr
        self.position = position


class XPathEvalError(XPathError):
    """The expression parsed but cannot be evaluated (unknown function, bad arity, bad instance)."""

    code = "xpath.eval"

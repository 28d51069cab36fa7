"""Every path and query parameter is checked here, before any view runs.

- Path ids (`<int:...>`) match only within the range of the integer columns they look up
  (1..2**31-1): a larger id finds no route, so it is a 404 like any id that does not exist.
- Path names (`<name>`, the default converter: form ids, instance ids, attachment names,
  versions, roles...) are at most 255 characters (the width of every such column) and carry no
  control character: anything else is a 400 naming the limit.
- On /v1, query parameters carry no control character; `$top` and `$skip` are whole numbers
  from 0 to 2**31-1, and so are `limit` and `offset` when they are numbers at all (Central's
  GeoJSON ignores `limit=abc`; other views refuse it): a 400 before any byte is sent.
"""
from __future__ import annotations

import re

from flask import Flask, request
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter, UnicodeConverter

from app.problems import Problem, unexpected_value

MAX_ID = 2**31 - 1  # PostgreSQL INTEGER
MAX_NAME = 255  # every name column in a path is String(255)
PAGING = ("$top", "$skip")
LOOSE_PAGING = ("limit", "offset")
_NUMBER = re.compile(r"\s*[-+]?\d+\s*")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_COUNT = re.compile(r"\d{1,10}")


class InvalidParameter(BadRequest):
    """A routing-time 400 (Flask keeps only HTTPExceptions raised while matching a URL)."""

    def __init__(self, problem: Problem):
        super().__init__(problem.message)
        self.problem = problem


class IdConverter(IntegerConverter):
    """`<int:...>` bounded by the integer column: out of range finds nothing (404)."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None,  # noqa: A002
                 max: int | None = MAX_ID, signed: bool = False) -> None:  # noqa: A002
        super().__init__(map, fixed_digits, min, max, signed)


class NameConverter(UnicodeConverter):
    """The default `<name>` converter: one path segment, checked for length and controls."""

    def to_python(self, value: str) -> str:
        if len(value) > MAX_NAME:
            raise InvalidParameter(unexpected_value(
                "path", f"({len(value)} characters)", f"a name in a URL is at most {MAX_NAME} "
                                                      "characters long"))
        if _CONTROL.search(value):
            raise InvalidParameter(unexpected_value(
                "path", "(not shown)", "a name in a URL may not contain control characters"))
        return value


def init_app(app: Flask) -> None:
    """Install the converters (before any blueprint adds its rules) and the query check."""
    app.url_map.converters["int"] = IdConverter
    app.url_map.converters["default"] = NameConverter
    app.url_map.converters["string"] = NameConverter
    app.before_request(check_query)


def check_query() -> None:
    if not request.path.startswith("/v1/"):
        return
    for name, value in request.args.items(multi=True):
        if _CONTROL.search(name) or _CONTROL.search(value):
            raise unexpected_value(name if not _CONTROL.search(name) else "(not shown)",
                                   "(not shown)", "query parameters may not contain control "
                                                  "characters")
    for name in PAGING + LOOSE_PAGING:
        for value in request.args.getlist(name):
            if name in LOOSE_PAGING and not _NUMBER.fullmatch(value):
                continue
            if not _COUNT.fullmatch(value.strip()) or int(value) > MAX_ID:
                raise unexpected_value(name, value[:40], f"must be a whole number from 0 to "
                                                         f"{MAX_ID}")

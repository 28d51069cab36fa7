"""Request parsing and response shaping shared by the API views."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Response, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from app import problems
from app.models.base import iso  # noqa: F401 (the API's views format with it)


def json_body(*required: str) -> dict[str, Any]:
    """The request's JSON object, or a 400 naming what is wrong."""
    raw = request.get_data(cache=True)
    try:
        body = request.get_json(force=True, silent=False)
    except Exception:
        raise problems.unparseable("json", len(raw)) from None
    if not isinstance(body, dict):
        raise problems.unparseable("json", len(raw))
    if "\\u0000" in raw.decode("utf-8", "replace").lower() and _has_nul(body):
        # PostgreSQL text cannot hold NUL: refuse it here rather than fail at the INSERT.
        raise problems.unexpected_value("body", "(not shown)",
                                        "JSON strings may not contain NUL (\\u0000)")
    for name in required:
        if body.get(name) in (None, ""):
            raise problems.missing_parameter(name)
    return body


def limited_body(limit: int) -> bytes:
    """The raw request body, refused (413) over `limit`: from Content-Length before reading
    a byte, else (chunked) as soon as the read passes it."""
    if request.content_length is not None and request.content_length > limit:
        raise problems.too_large(limit)
    request.max_content_length = limit
    try:
        return request.get_data(cache=False)
    except RequestEntityTooLarge:
        raise problems.too_large(limit) from None


def _has_nul(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def query_flag(name: str) -> bool:
    """Booleans in query strings arrive as true/True/1 (pyodk sends Python's True)."""
    return request.args.get(name, "").strip().lower() in ("true", "1", "yes")


def choice_arg(name: str, choices: Iterable[str]) -> str | None:
    """A query-string filter that must be one of `choices` (a status enum's values); None when
    absent or empty, a 400 naming the allowed values otherwise: a filter that matches nothing
    because it is misspelt would answer an empty list that looks like "none"."""
    value = request.args.get(name) or None
    allowed = tuple(choices)
    if value is not None and value not in allowed:
        raise problems.unexpected_value(name, value, f"expected one of {', '.join(allowed)}")
    return value


def page() -> tuple[int, int]:
    """`limit` (at most 1000, default 100) and `offset` from the query string."""
    try:
        limit = min(int(request.args.get("limit", 100)), 1000)
        offset = max(int(request.args.get("offset", 0)), 0)
    except ValueError:
        raise problems.unexpected_value("limit", request.args.get("limit"),
                                        "expected integers for limit and offset") from None
    return limit, offset


def listing(items: list[dict[str, Any]], total: int | None = None) -> Response:
    response = jsonify(items)
    response.headers["X-Total-Count"] = str(len(items) if total is None else total)
    return response


def extended() -> bool:
    return request.headers.get("X-Extended-Metadata", "").lower() == "true"


def success() -> Response:
    return jsonify({"success": True})

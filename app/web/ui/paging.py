"""Paged lists in the web app: where a page starts."""
from __future__ import annotations

from flask import request


def offset_arg() -> int:
    """The `offset` query argument of a paged list: rows to skip, 0 when absent or not a
    non-negative integer (a hand-edited URL shows the first page, not an error)."""
    asked = request.args.get("offset", "")
    return int(asked) if asked.isdigit() else 0

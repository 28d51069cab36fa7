"""Periods of a series: months stored as yyyymm, read as month, quarter or year.

A period key is an integer that sorts in time: 202603 (a month), 20261 (a quarter: year*10
+ quarter), 2026 (a year). `from`/`to` name periods (or dates inside them) and always select
whole periods, so no caller ever sees part of one.
"""
from __future__ import annotations

import re

from sqlalchemy import ColumnElement

_BOUND = re.compile(r"^(\d{4})(?:-(?:Q([1-4])|(\d{2}))(?:-(\d{2}))?)?$")


class BadPeriod(ValueError):
    """A from/to value that names no period."""


def key_sql(month: ColumnElement, unit: str) -> ColumnElement:
    """The period key of a yyyymm column, in SQL both databases evaluate alike (integer
    division of integers)."""
    if unit == "month":
        return month
    if unit == "quarter":
        return (month // 100) * 10 + ((month % 100) + 2) // 3
    return month // 100


def key_of(month: int, unit: str) -> int:
    if unit == "month":
        return month
    if unit == "quarter":
        return month // 100 * 10 + (month % 100 + 2) // 3
    return month // 100


def label(key: int, unit: str) -> str:
    """202603 -> "2026-03"; 20261 -> "2026-Q1"; 2026 -> "2026" (SDMX's TIME_PERIOD)."""
    if unit == "month":
        return f"{key // 100}-{key % 100:02d}"
    if unit == "quarter":
        return f"{key // 10}-Q{key % 10}"
    return str(key)


def months(key: int, unit: str) -> tuple[int, int]:
    """The first and last month (yyyymm) of a period."""
    if unit == "month":
        return key, key
    if unit == "quarter":
        year, quarter = divmod(key, 10)
        return year * 100 + quarter * 3 - 2, year * 100 + quarter * 3
    return key * 100 + 1, key * 100 + 12


def bound(text: str | None, unit: str, *, end: bool) -> int | None:
    """A from/to value as the first (or, for `to`, last) month of the whole period of
    `unit` it falls in: "2026-02" with quarters -> 202601 (from) or 202603 (to)."""
    if text is None or not text.strip():
        return None
    m = _BOUND.match(text.strip())
    if m is None:
        raise BadPeriod(f"{text!r} is not a period: write 2026, 2026-Q2, 2026-05 or a date.")
    year = int(m.group(1))
    if m.group(2):
        month = int(m.group(2)) * 3 - (0 if end else 2)
    elif m.group(3):
        month = int(m.group(3))
        if not 1 <= month <= 12:
            raise BadPeriod(f"{text!r} has no month {month}.")
    else:
        month = 12 if end else 1
    first, last = months(key_of(year * 100 + month, unit), unit)
    return last if end else first

"""JSON text, one way: orjson (compact UTF-8, as Central's JSON.stringify writes), and the
standard library for what orjson refuses (integers beyond 64 bits, keys that are not strings).

The database engine writes every JSON column with it (json.dumps was the largest single cost
of storing a submission after building its statement) and the OData feed shapes its rows
with it."""
from __future__ import annotations

import json
from typing import Any

import orjson


def dumps(obj: Any) -> str:
    try:
        return orjson.dumps(obj).decode()
    except TypeError:
        return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)

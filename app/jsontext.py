"""JSON text, one way: orjson (compact UTF-8, as Central's JSON.stringify writes), and the
standard library for what orjson refuses (integers beyond 64 bits, keys that are not strings).
The OData feed shapes its rows with it. (The database engine keeps json.dumps for its JSON
columns: with orjson the largest allowed submission outgrew the pipeline job's memory cap.)"""
from __future__ import annotations

import json
from typing import Any

import orjson


def dumps(obj: Any) -> str:
    try:
        return orjson.dumps(obj).decode()
    except TypeError:
        return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)

"""A submission's multipart body, split in one pass over bytes already in memory.

ODK Collect's POST /submission is a small multipart/form-data body (the XML and a few files),
read whole before the view runs (app.serving.worker). Werkzeug's streaming parser walked it in
Python, event by event, for about a tenth of a submission's CPU. Here a body of the plain shape
every client sends (CRLF delimiters, `Content-Disposition: form-data; name="..."[; filename=
"..."]` with quoted values free of escapes) is cut with bytes.find; anything else (another
shape, a malformed body, too many parts) answers None and the caller takes werkzeug's parser,
which gives the same parts or the same 4xx as before.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

MAX_PARTS = 1000  # werkzeug's max_form_parts: more is a 413 there
MAX_FIELD = 500_000  # werkzeug's max_form_memory_size for a plain field: more is a 413 there
# One `; key="value"` parameter; a value with a backslash or a % escape is werkzeug's to decode.
_PARAM = re.compile(rb'[ \t]*;[ \t]*([A-Za-z]+)="([^"\\%\r\n]*)"')


@dataclass(frozen=True)
class Part:
    name: str
    filename: str | None  # None: a plain field
    data: bytes


def split(body: bytes, boundary: str) -> list[Part] | None:
    """The parts of a multipart body in order (`boundary` from its Content-Type, as werkzeug
    reads it), or None when the body is not of the plain shape."""
    try:
        delimiter = b"--" + boundary.encode("ascii")
    except UnicodeEncodeError:
        return None
    if not body.startswith(delimiter + b"\r\n"):
        return None
    separator = b"\r\n" + delimiter
    parts: list[Part] = []
    start = len(delimiter) + 2
    while True:
        end = body.find(separator, start)
        if end < 0 or len(parts) >= MAX_PARTS:
            return None
        part = _part(body, start, end)
        if part is None:
            return None
        parts.append(part)
        after = end + len(separator)
        tail = body[after:after + 2]
        if tail == b"--":
            rest = body[after + 2:]
            return parts if rest in (b"", b"\r\n") else None
        if tail != b"\r\n":
            return None
        start = after + 2


def _part(body: bytes, start: int, end: int) -> Part | None:
    head_end = body.find(b"\r\n\r\n", start, end)
    if head_end < 0:
        return None
    name = filename = None
    typed = False
    for line in body[start:head_end].split(b"\r\n"):
        key, colon, value = line.partition(b":")
        if not colon:
            return None
        key = key.strip().lower()
        if key == b"content-disposition":
            kind, _, params = value.partition(b";")
            if kind.strip().lower() != b"form-data":
                return None
            seen = {}
            position = 0
            params = b";" + params
            while position < len(params.rstrip()):
                match = _PARAM.match(params, position)
                if match is None:
                    return None
                seen[match.group(1).lower()] = match.group(2)
                position = match.end()
            if b"name" not in seen:
                return None
            try:
                name = seen[b"name"].decode("utf-8")
                filename = seen[b"filename"].decode("utf-8") if b"filename" in seen else None
            except UnicodeDecodeError:
                return None
        elif key == b"content-type":
            typed = True
        elif key == b"content-transfer-encoding":
            return None  # encoded parts: werkzeug's parser decides
    if name is None:
        return None
    data = body[head_end + 4:end]
    if filename is None and (typed or len(data) > MAX_FIELD):
        return None  # a field in a declared charset, or too large: werkzeug's rules
    return Part(name, filename, data)

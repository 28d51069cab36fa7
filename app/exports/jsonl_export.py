"""`submissions.jsonl`: one JSON object per line per submission (its current version).

    {"instanceId": "uuid:…", "submissionDate": "2026-11-20T06:12:00.000Z", "updatedAt": null,
     "submitterId": "12", "submitterName": "Amina", "deviceId": "collect:…",
     "reviewState": null, "edits": 0, "formVersion": "2026112601", "channel": "sms",
     "instanceName": null, "attachmentsPresent": 0, "attachmentsExpected": 0,
     "sdgTags": ["6.1.1"], "qualityFlags": ["/data/wp/price:not_decimal"],
     "data": {"consent": "yes", "wp": {"county": "kisumu", "days_broken": 12, …},
              "child": [{"child_age": 5, …}, …], "meta": {"instanceID": "uuid:…"}}}

`data` follows the form: groups as objects, repeats as arrays of objects, keyed by field
name. Values are cleaned as the pipeline cleans them (app/pipeline/clean.clean_value): int
and decimal answers as numbers, dates as "YYYY-MM-DD", date-times in UTC ("…Z"), geopoints as
{"lat", "lon", "alt", "accuracy"}, geotraces/shapes as lists of those, select-multiple answers
as lists, text NFC-normalised; a value that does not parse stays the text sent; an unanswered
question is null. Phone fields carry the keyed hash unless clear numbers were allowed.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from typing import Any

from app.exports.queries import Row
from app.models.base import iso
from app.pipeline.clean import PhonePolicy, clean_value
from app.pipeline.fields import FieldSpec
from forms.flatten import repeat_of
from forms.model import Field, FormModel

MIMETYPE = "application/x-ndjson"
_NO_PHONES = PhonePolicy(key=b"", allow_clear=False)  # phone fields never reach clean_value


class _Shape:
    """Where each field's value goes in the nested `data` object."""

    def __init__(self, model: FormModel, phone_paths: frozenset[str]) -> None:
        base = "/" + model.root_name
        self.phone_paths = phone_paths
        self.leaves: dict[str | None, list[tuple[Field, FieldSpec, list[str]]]] = {}
        self.repeats: list[tuple[str, str | None, list[str]]] = []
        for f in model.fields:
            if f.kind == "group":
                continue
            owner = repeat_of(model, f)
            steps = f.path[len(owner or base) + 1:].split("/")
            if f.kind == "repeat":
                self.repeats.append((f.path, owner, steps))
                continue
            spec = FieldSpec(f.path, (f.type or "string").rsplit(":", 1)[-1], f.control,
                             False, None, bool(f.calculate))
            self.leaves.setdefault(owner, []).append((f, spec, steps))
        self.groups: dict[str | None, list[list[str]]] = {}
        for f in model.fields:
            if f.kind == "group":
                owner = repeat_of(model, f)
                self.groups.setdefault(owner, []).append(
                    f.path[len(owner or base) + 1:].split("/"))


def _place(target: dict, steps: list[str], value: Any) -> None:
    for step in steps[:-1]:
        target = target.setdefault(step, {})
    target[steps[-1]] = value


def _record(shape: _Shape, owner: str | None, values: dict, mask) -> dict:
    out: dict[str, Any] = {}
    for steps in shape.groups.get(owner, ()):
        _place(out, steps, {})
    for f, spec, steps in shape.leaves.get(owner, ()):
        raw = values.get(f.path)
        if f.path in shape.phone_paths:
            text = "" if raw is None else str(raw).strip()
            value = (mask(text) if mask is not None else text) if text else None
        else:
            value = clean_value(spec, None if raw is None else str(raw), [], _NO_PHONES,
                                date.max)
        _place(out, steps, value)
    return out


def document(shape: _Shape, row: Row, mask: Callable[[str], str] | None) -> dict[str, Any]:
    """One submission as the JSON object of its line."""
    data = _record(shape, None, row.data.get("root") or {}, mask)
    by_key: dict[str, dict] = {}
    repeats = row.data.get("repeats") or {}
    for path, owner, steps in shape.repeats:
        for sub in repeats.get(path) or ():
            item = _record(shape, path, sub, mask)
            parent = by_key.get(sub.get("__parent_key") or "", data) if owner else data
            target = parent
            for step in steps[:-1]:
                target = target.setdefault(step, {})
            target.setdefault(steps[-1], []).append(item)
            by_key[sub.get("__key") or ""] = item
        # a repeat with no rows is an empty list, like an unanswered group is an object
        if not repeats.get(path) and owner is None:
            target = data
            for step in steps[:-1]:
                target = target.setdefault(step, {})
            target.setdefault(steps[-1], [])
    return {
        "instanceId": row.instance_id,
        "submissionDate": iso(row.created_at),
        "updatedAt": iso(row.updated_at),
        "submitterId": None if row.submitter_id is None else str(row.submitter_id),
        "submitterName": row.submitter_name,
        "deviceId": row.device_id,
        "reviewState": row.review_state,
        "edits": row.edits,
        "formVersion": row.form_version,
        "channel": row.channel,
        "instanceName": row.instance_name,
        "attachmentsPresent": row.attachments_present,
        "attachmentsExpected": row.attachments_expected,
        "sdgTags": list(row.sdg_tags),
        "qualityFlags": list(row.flags),
        "data": data,
    }


def write_jsonl(model: FormModel, chunks: Iterable[list[Row]], *,
                mask: Callable[[str], str] | None = None,
                phone_paths: frozenset[str] = frozenset()) -> Iterator[bytes]:
    """The lines' bytes, a chunk of submissions at a time."""
    shape = _Shape(model, phone_paths)
    for chunk in chunks:
        yield "".join(json.dumps(document(shape, row, mask), ensure_ascii=False,
                                 separators=(",", ":")) + "\n" for row in chunk).encode("utf-8")

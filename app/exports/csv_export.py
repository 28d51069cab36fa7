"""ODK Central's `submissions.csv.zip` and `.csv` (lib/data/briefcase.js), as byte generators."""
from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC

from app.exports import queries
from app.exports.columns import Column, Table, is_select_multiple, tables
from app.exports.queries import Row
from app.exports.zipstream import ZipStream
from forms.model import Field, FormModel

Mask = Callable[[str], str]


@dataclass
class CsvOptions:
    """Central's query options for the CSV exports, plus our phone-number mask."""

    attachments: bool = True
    group_paths: bool = True
    split_select_multiples: bool = False
    deleted_fields: bool = False
    mask: Mask | None = None
    phone_paths: frozenset[str] = frozenset()
    extra_fields: list[tuple[Field, str | None]] = field(default_factory=list)


class _Writer:
    """Turns Rows into CSV lines for every table of the form."""

    def __init__(self, layout: list[Table], options: CsvOptions) -> None:
        self.layout = layout
        self.options = options
        # Per table: every column's path (one cell each, None writes as empty), and the few
        # that expand or are masked, by index, handled after (last first, so indices hold).
        self.plans: dict[str | None, tuple[list[str], list[tuple[int, Column]]]] = {}
        for table in layout:
            paths = [c.path for c in table.columns]
            special = [(i, c) for i, c in enumerate(table.columns)
                       if c.type == "geopoint" or c.select_values or c.path in options.phone_paths]
            self.plans[table.repeat] = (paths, special[::-1])

    def _cells(self, plan, values: dict) -> list:
        paths, special = plan
        get = values.get
        out = [get(p) for p in paths]
        for i, col in special:
            raw = out[i]
            text = "" if raw is None else str(raw)
            if self.options.mask is not None and text and col.path in self.options.phone_paths:
                text = self.options.mask(text)
            if col.type == "geopoint":
                parts = text.split()
                out[i:i + 1] = (parts + ["", "", "", ""])[:4]
            elif col.select_values:
                chosen = set(text.split())
                out[i:i + 1] = [text, *(1 if v in chosen else 0 for v in col.select_values)]
            else:
                out[i] = text
        return out

    def root(self, row: Row) -> list:
        values = row.data.get("root") or {}
        return [_iso(row.created_at), *self._cells(self.plans[None], values), row.instance_id,
                row.submitter_id, row.submitter_name, row.attachments_present,
                row.attachments_expected, None, row.review_state, row.device_id, row.edits,
                row.form_version, row.channel, ";".join(row.sdg_tags), ";".join(row.flags)]

    def repeat(self, table: Table, row: Row) -> Iterator[list]:
        subs = (row.data.get("repeats") or {}).get(table.repeat)
        if not subs:
            return
        plan = self.plans[table.repeat]
        current = row.data.get("instance_id") or row.instance_id
        first = row.instance_id
        for sub in subs:
            parent, key = sub.get("__parent_key") or "", sub.get("__key") or ""
            if current != first:
                parent, key = _rekey(parent, current, first), _rekey(key, current, first)
            yield [*self._cells(plan, sub), parent, key]


def _iso(value) -> str:
    """JavaScript's Date.toISOString(): UTC, milliseconds, Z."""
    return value.astimezone(UTC).isoformat(timespec="milliseconds")[:23] + "Z"


def _rekey(key: str, current: str, first: str) -> str:
    """Central keys repeat rows by the submission's first instanceID, even after edits."""
    if key.startswith(current):
        return first + key[len(current):]
    return key


def layout_for(model: FormModel, options: CsvOptions,
               select_values: dict[str, list[str]] | None) -> list[Table]:
    return tables(model, group_paths=options.group_paths, select_values=select_values,
                  extra_fields=options.extra_fields if options.deleted_fields else [])


def observed_select_values(model: FormModel, chunks: Iterator[list[Row]]) -> dict[str, list[str]]:
    """Every value seen per select-multiple field, sorted (Central's form_field_values)."""
    paths = {f.path for f in model.fields if is_select_multiple(f)}
    seen: dict[str, set[str]] = {p: set() for p in paths}
    for chunk in chunks:
        for row in chunk:
            rows = [row.data.get("root") or {}]
            for subs in (row.data.get("repeats") or {}).values():
                rows.extend(subs)
            for values in rows:
                for path in paths:
                    if values.get(path):
                        seen[path].update(str(values[path]).split())
    return {p: sorted(v) for p, v in seen.items() if v}


def _encode(lines: list[list]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(lines)
    return buffer.getvalue().encode("utf-8")


def root_csv(layout: list[Table], options: CsvOptions,
             chunks: Iterator[list[Row]]) -> Iterator[bytes]:
    """The root table only (`submissions.csv`)."""
    writer = _Writer(layout, options)
    yield _encode([layout[0].header()])
    for chunk in chunks:
        yield _encode([writer.root(row) for row in chunk])


def csv_zip(layout: list[Table], options: CsvOptions, chunks: Iterator[list[Row]],
            media: Iterable[tuple[str, Iterator[bytes]]] = ()) -> Iterator[bytes]:
    """The zip: root CSV streamed as rows arrive, repeat CSVs spooled to disk, then media."""
    writer = _Writer(layout, options)
    repeats = layout[1:]
    spools = [tempfile.TemporaryFile() for _ in repeats]
    try:
        for table, spool in zip(repeats, spools, strict=True):
            spool.write(_encode([table.header()]))

        def root_lines() -> Iterator[bytes]:
            yield _encode([layout[0].header()])
            for chunk in chunks:
                for table, spool in zip(repeats, spools, strict=True):
                    spool.write(_encode([r for row in chunk for r in writer.repeat(table, row)]))
                yield _encode([writer.root(row) for row in chunk])

        archive = ZipStream()
        yield from archive.entry(layout[0].name, root_lines())
        for table, spool in zip(repeats, spools, strict=True):
            spool.seek(0)
            yield from archive.entry(table.name, iter(lambda s=spool: s.read(1 << 20), b""))
        if options.attachments:
            for name, content in media:
                yield from archive.entry(f"media/{_safe(name)}", content)
        yield from archive.close()
    finally:
        for spool in spools:
            spool.close()


def _safe(name: str) -> str:
    """sanitize-filename's effect on what a device may send: no path steps, no controls."""
    cleaned = "".join("_" if c in '/\\?<>:*|"' or ord(c) < 32 else c for c in name)
    return cleaned.strip(". ") or "_"


def media_files(form_id: int, filters: queries.Filters) -> Iterator[tuple[str, Iterator[bytes]]]:
    """(name, chunks) for each arrived attachment of the exported versions."""
    from app.services.storage import blob_path

    def read(sha256: str) -> Iterator[bytes]:
        with open(blob_path(sha256), "rb") as handle:
            yield from iter(lambda: handle.read(1 << 20), b"")

    for name, sha256 in queries.attachments(form_id, filters):
        yield name, read(sha256)

"""ODK Central's `submissions.csv.zip` and `.csv` (lib/data/briefcase.js), as byte generators."""
from __future__ import annotations

import csv
import io
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from app.exports import queries
from app.exports.columns import Table, is_select_multiple, tables
from app.exports.queries import Row
from app.exports.zipstream import ZipStream
from app.models.base import iso
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
    formula_safe: bool = False


class _Writer:
    """Turns Rows into CSV lines for every table of the form.

    Everything about the layout is worked out once: per table, a function from a row's
    values to its cells (`dict.get` mapped over the paths; the few columns that expand or
    are masked patched after). `root_lines` / `repeat_lines` do a whole chunk in one loop;
    `root` / `repeat` do one row (the XLSX and SPSS/Stata writers use them)."""

    def __init__(self, layout: list[Table], options: CsvOptions) -> None:
        self.layout = layout
        self.options = options
        self.cells: dict[str | None, Callable[[dict], list]] = {
            table.repeat: _cells_for(table, options) for table in layout}

    def root(self, row: Row) -> list:
        return self.root_lines((row,))[0]

    def root_lines(self, rows: Iterable[Row]) -> list[list]:
        cells = self.cells[None]
        return [[iso(row.created_at), *cells(row.data.get("root") or {}), row.instance_id,
                 row.submitter_id, row.submitter_name, row.attachments_present,
                 row.attachments_expected, None, row.review_state, row.device_id, row.edits,
                 row.form_version, row.channel,
                 ";".join(row.sdg_tags) if row.sdg_tags else "",
                 ";".join(row.flags) if row.flags else ""] for row in rows]

    def repeat(self, table: Table, row: Row) -> Iterator[list]:
        return iter(self.repeat_lines(table, (row,)))

    def repeat_lines(self, table: Table, rows: Iterable[Row]) -> list[list]:
        cells, path = self.cells[table.repeat], table.repeat
        out: list[list] = []
        append = out.append
        for row in rows:
            data = row.data
            subs = (data.get("repeats") or {}).get(path)
            if not subs:
                continue
            first = row.instance_id
            current = data.get("instance_id") or first
            for sub in subs:
                line = cells(sub)
                parent, key = sub.get("__parent_key") or "", sub.get("__key") or ""
                if current != first:
                    parent, key = _rekey(parent, current, first), _rekey(key, current, first)
                line.append(parent)
                line.append(key)
                append(line)
        return out


def _cells_for(table: Table, options: CsvOptions) -> Callable[[dict], list]:
    """The cells of one table's row from its values (None writes as empty): geopoints split
    in four, select-multiples followed by their 0/1 columns, phone numbers masked."""
    paths = [c.path for c in table.columns]
    special = [(i, c, options.mask if c.path in options.phone_paths else None)
               for i, c in enumerate(table.columns)
               if c.type == "geopoint" or c.select_values or c.path in options.phone_paths]
    special.reverse()  # last first, so that earlier indices hold while cells expand

    if not special:
        def plain(values: dict) -> list:
            return list(map(values.get, paths))
        return plain

    def patched(values: dict) -> list:
        out = list(map(values.get, paths))
        for i, col, mask in special:
            raw = out[i]
            text = "" if raw is None else str(raw)
            if mask is not None and text:
                text = mask(text)
            if col.type == "geopoint":
                parts = text.split()
                out[i:i + 1] = (parts + ["", "", "", ""])[:4]
            elif col.select_values:
                chosen = set(text.split())
                out[i:i + 1] = [text, *(1 if v in chosen else 0 for v in col.select_values)]
            else:
                out[i] = text
        return out
    return patched


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


# What a spreadsheet would run as a formula (OWASP's CSV injection list); a plain number such as
# -0.0917 stays a number.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def formula_safe(cell):
    """The cell with a leading `'` if a spreadsheet would take it for a formula."""
    if isinstance(cell, str) and cell.startswith(_FORMULA_START) and not _NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


class _Encoder:
    """CSV lines to UTF-8 bytes as csv-stringify writes them (quotes only when needed, \n),
    through one reused buffer; with `formula_safe`, formula-like cells neutralised."""

    def __init__(self, formula_safe: bool = False) -> None:
        self.buffer = io.StringIO()
        self.writerows = csv.writer(self.buffer, lineterminator="\n").writerows
        self.formula_safe = formula_safe

    def __call__(self, lines: list[list]) -> bytes:
        if self.formula_safe:
            lines = [[formula_safe(cell) for cell in line] for line in lines]
        self.writerows(lines)
        out = self.buffer.getvalue().encode("utf-8")
        self.buffer.seek(0)
        self.buffer.truncate()
        return out


def _encode(lines: list[list]) -> bytes:
    return _Encoder()(lines)


BLOCK = 1 << 18
"""Bytes gathered before they are handed on (to the zip or the response), so that chunks of
a hundred rows do not each cost a compressor call and a socket write."""


def _blocks(parts: Iterator[bytes]) -> Iterator[bytes]:
    pending: list[bytes] = []
    size = 0
    for part in parts:
        pending.append(part)
        size += len(part)
        if size >= BLOCK:
            yield b"".join(pending)
            pending.clear()
            size = 0
    if pending:
        yield b"".join(pending)


def root_csv(layout: list[Table], options: CsvOptions,
             chunks: Iterator[list[Row]]) -> Iterator[bytes]:
    """The root table only (`submissions.csv`)."""
    writer, encode = _Writer(layout, options), _Encoder(options.formula_safe)

    def lines() -> Iterator[bytes]:
        yield encode([layout[0].header()])
        for chunk in chunks:
            yield encode(writer.root_lines(chunk))

    return _blocks(lines())


def csv_zip(layout: list[Table], options: CsvOptions, chunks: Iterator[list[Row]],
            media: Iterable[tuple[str, str, Iterator[bytes]]] = ()) -> Iterator[bytes]:
    """The zip: root CSV streamed as rows arrive, repeat CSVs spooled to disk, then media
    ((name, sha256, chunks) each: one entry per name and content)."""
    writer, encode = _Writer(layout, options), _Encoder(options.formula_safe)
    repeats = layout[1:]
    spools = [tempfile.TemporaryFile(buffering=1 << 20) for _ in repeats]  # few big writes
    try:
        for table, spool in zip(repeats, spools, strict=True):
            spool.write(encode([table.header()]))

        def root_lines() -> Iterator[bytes]:
            yield encode([layout[0].header()])
            for chunk in chunks:
                for table, spool in zip(repeats, spools, strict=True):
                    lines = writer.repeat_lines(table, chunk)
                    if lines:
                        spool.write(encode(lines))
                yield encode(writer.root_lines(chunk))

        archive = ZipStream()
        yield from archive.entry(layout[0].name, _blocks(root_lines()))
        for table, spool in zip(repeats, spools, strict=True):
            spool.seek(0)
            yield from archive.entry(table.name, iter(lambda s=spool: s.read(1 << 20), b""))
        if options.attachments:
            names = _MediaNames()
            for name, sha256, content in media:
                entry = names.entry(_safe(name), sha256)
                if entry is not None:
                    yield from archive.entry(f"media/{entry}", content)
        yield from archive.close()
    finally:
        for spool in spools:
            spool.close()


class _MediaNames:
    """Zip entry names for media: the same file under the same name once; a different file
    under a name already taken gets `~2`, `~3`... before its extension (photo~2.jpg), as the
    XLSX sheets do, so no entry ever hides another."""

    def __init__(self) -> None:
        self.taken: dict[str, str] = {}  # entry name -> sha256

    def entry(self, name: str, sha256: str) -> str | None:
        """The name to write this file under, or None when that exact file is already in."""
        stem, dot, ext = name.rpartition(".")
        if not dot or not stem:
            stem, dot, ext = name, "", ""
        candidate, n = name, 1
        while candidate in self.taken:
            if self.taken[candidate] == sha256:
                return None
            n += 1
            candidate = f"{stem}~{n}{dot}{ext}"
        self.taken[candidate] = sha256
        return candidate


def _safe(name: str) -> str:
    """sanitize-filename's effect on what a device may send: no path steps, no controls."""
    cleaned = "".join("_" if c in '/\\?<>:*|"' or ord(c) < 32 else c for c in name)
    return cleaned.strip(". ") or "_"


def media_files(form_id: int,
                filters: queries.Filters) -> Iterator[tuple[str, str, Iterator[bytes]]]:
    """(name, sha256, chunks) for each arrived attachment of the exported versions."""
    from app.services.storage import blob_path

    def read(sha256: str) -> Iterator[bytes]:
        with open(blob_path(sha256), "rb") as handle:
            yield from iter(lambda: handle.read(1 << 20), b"")

    for name, sha256 in queries.attachments(form_id, filters):
        yield name, sha256, read(sha256)

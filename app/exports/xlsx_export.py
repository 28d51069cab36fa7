"""`submissions.xlsx`: the CSV zip's tables as sheets of one workbook, with typed cells.

The first sheet has exactly the columns of `submissions.csv` (the same layout and the same
cell writer, app/exports/csv_export.py); each repeat gets a sheet with PARENT_KEY and KEY.
Cells are typed: integers and decimals as numbers, dates and date-times as Excel dates
(date-times and SubmissionDate in UTC, Excel having no time zones), times as times, the
split geopoint parts and select-multiple 0/1 columns as numbers; a value that does not parse
as its type stays text, and text is always an inline string, never a formula.

The sheets' XML is written straight to temporary files as rows arrive (a few f-strings per
cell: openpyxl's write-only cell writer managed ~16,000 cells/s, a tenth of this), then zipped
with the workbook's few fixed parts into a seekable temporary file (plain zip entries, as
Excel's own files have) which is streamed out. Memory stays bounded whatever the number of
submissions. A table beyond Excel's 1,048,576 rows continues on a sheet `name~2`, `~3`, ….
"""
from __future__ import annotations

import re
import tempfile
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time
from typing import IO
from xml.sax.saxutils import escape, quoteattr

from app.exports.columns import Table
from app.exports.csv_export import CsvOptions, _Writer
from app.exports.queries import Row
from app.exports.typed import naive_utc, typed

MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_ROWS = 1_048_576  # Excel's rows per sheet, the header included
_ROOT_META_KINDS = ("text", "int", "text", "int", "int", "text", "text", "text", "int", "text",
                    "text", "text", "text")  # KEY .. FormVersion, Channel, SDGTags, QualityFlags
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")
_ILLEGAL = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]|[\ufffe\uffff]")
_MAX_TEXT = 32767  # Excel's limit for one cell
_EPOCH = datetime(1899, 12, 30)
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
# Cell styles (cellXfs): 0 general, 1 date, 2 date-time, 3 time.
_STYLES = (_XML + f'<styleSheet xmlns="{_MAIN}"><numFmts count="2">'
           '<numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
           '<numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm:ss"/></numFmts>'
           '<fonts count="1"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
           '</fonts><fills count="2"><fill><patternFill patternType="none"/></fill>'
           '<fill><patternFill patternType="gray125"/></fill></fills><borders count="1">'
           '<border><left/><right/><top/><bottom/><diagonal/></border></borders>'
           '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
           '</cellStyleXfs><cellXfs count="4">'
           '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
           '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" '
           'applyNumberFormat="1"/>'
           '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" '
           'applyNumberFormat="1"/>'
           '<xf numFmtId="21" fontId="0" fillId="0" borderId="0" xfId="0" '
           'applyNumberFormat="1"/></cellXfs><cellStyles count="1">'
           '<cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>')


def column_kinds(table: Table) -> list[str]:
    """Per header cell of `table`, the kind its values are written as."""
    kinds: list[str] = []
    for column in table.columns:
        if column.type == "geopoint":
            kinds += ["decimal"] * 4
        elif column.select_values:
            kinds += ["text", *(["int"] * len(column.select_values))]
        else:
            kinds.append(column.type if column.type in ("int", "decimal", "date", "dateTime",
                                                        "time") else "text")
    if table.repeat is None:
        return ["dateTime", *kinds, *_ROOT_META_KINDS]
    return [*kinds, "text", "text"]


def _sheet_name(base: str, seen: set[str]) -> str:
    """Valid (≤ 31 chars, no []:*?/\\) and unique ignoring case."""
    base = _SHEET_BAD.sub("_", base).strip("'")[:31] or "Sheet"
    name, n = base, 1
    while name.casefold() in seen:
        n += 1
        name = f"{base[:31 - len(str(n)) - 1]}~{n}"
    seen.add(name.casefold())
    return name


def sheet_names(layout: list[Table]) -> list[str]:
    """Sheet titles: the CSV file names without `.csv`, made valid and unique."""
    seen: set[str] = set()
    return [_sheet_name(table.name.removesuffix(".csv"), seen) for table in layout]


def _letters(n: int) -> list[str]:
    out = []
    for i in range(1, n + 1):
        name = ""
        while i:
            i, rest = divmod(i - 1, 26)
            name = chr(65 + rest) + name
        out.append(name)
    return out


def _text(value: str) -> str:
    value = _ILLEGAL.sub("", value)[:_MAX_TEXT]
    if value[:1].isspace() or value[-1:].isspace():
        return f'<is><t xml:space="preserve">{escape(value)}</t></is>'
    return f"<is><t>{escape(value)}</t></is>"


def _row(number: int, letters: list[str], kinds: list[str], cells: list) -> str:
    parts = [f'<row r="{number}">']
    append = parts.append
    for letter, kind, raw in zip(letters, kinds, cells, strict=True):
        if raw is None or raw == "":
            continue
        value = typed(kind, raw)
        ref = f"{letter}{number}"
        if isinstance(value, str):
            append(f'<c r="{ref}" t="inlineStr">{_text(value)}</c>')
        elif isinstance(value, bool):
            append(f'<c r="{ref}" t="b"><v>{int(value)}</v></c>')
        elif isinstance(value, (int, float)):
            append(f'<c r="{ref}"><v>{value!r}</v></c>')
        elif isinstance(value, datetime):
            serial = (naive_utc(value) - _EPOCH).total_seconds() / 86400
            append(f'<c r="{ref}" s="2"><v>{serial!r}</v></c>')
        elif isinstance(value, date):
            append(f'<c r="{ref}" s="1"><v>{(value - _EPOCH.date()).days}</v></c>')
        elif isinstance(value, time):
            fraction = (value.hour * 3600 + value.minute * 60 + value.second
                        + value.microsecond / 1e6) / 86400
            append(f'<c r="{ref}" s="3"><v>{fraction!r}</v></c>')
        else:
            append(f'<c r="{ref}" t="inlineStr">{_text(str(value))}</c>')
    append("</row>")
    return "".join(parts)


class _Sheet:
    """One table's sheet(s) as XML in temporary files; a new part every MAX_ROWS rows."""

    def __init__(self, name: str, header: list[str], kinds: list[str]) -> None:
        self.name = name
        self.header = header
        self.kinds = kinds
        self.letters = _letters(len(header))
        self.parts: list[tuple[str, IO[bytes]]] = []
        self.rows = MAX_ROWS  # forces the first part
        self.pending: list[str] = []

    def _start(self, names: set[str]) -> None:
        self.flush()
        name = self.name if not self.parts else _sheet_name(
            f"{self.name}~{len(self.parts) + 1}", names)
        handle = tempfile.TemporaryFile()
        handle.write((_XML + f'<worksheet xmlns="{_MAIN}"><sheetData>').encode())
        self.parts.append((name, handle))
        self.rows = 1
        self.pending.append(_row(1, self.letters, ["text"] * len(self.header), self.header))

    def add(self, cells: list, names: set[str]) -> None:
        if self.rows >= MAX_ROWS:
            self._start(names)
        self.rows += 1
        self.pending.append(_row(self.rows, self.letters, self.kinds, cells))

    def flush(self) -> None:
        if self.pending and self.parts:
            self.parts[-1][1].write("".join(self.pending).encode("utf-8"))
        self.pending = []

    def close(self) -> None:
        self.flush()
        for _name, handle in self.parts:
            handle.write(b"</sheetData></worksheet>")

    def discard(self) -> None:
        for _name, handle in self.parts:
            handle.close()


def _package(sheets: list[tuple[str, IO[bytes]]], out) -> None:
    """The workbook's zip: fixed parts, then each sheet's XML copied from its file."""
    n = len(sheets)
    types = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(1, n + 1))
    content_types = (
        _XML + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/'
        'vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>' + types + "</Types>")
    root_rels = (_XML + f'<Relationships xmlns="{_PKG_REL}"><Relationship Id="rId1" '
                 f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
    workbook = (_XML + f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><bookViews>'
                '<workbookView activeTab="0"/></bookViews><sheets>' + "".join(
        f'<sheet name={quoteattr(name)} sheetId="{i}" r:id="rId{i}"/>'
        for i, (name, _) in enumerate(sheets, 1)) + "</sheets></workbook>")
    workbook_rels = (_XML + f'<Relationships xmlns="{_PKG_REL}">' + "".join(
        f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, n + 1)) + f'<Relationship Id="rId{n + 1}" Type="{_REL}/styles" '
        'Target="styles.xml"/></Relationships>')
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1,
                         allowZip64=True) as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("_rels/.rels", root_rels)
        archive.writestr("xl/workbook.xml", workbook)
        archive.writestr("xl/_rels/workbook.xml.rels", workbook_rels)
        archive.writestr("xl/styles.xml", _STYLES)
        for i, (_name, handle) in enumerate(sheets, 1):
            size = handle.tell()
            handle.seek(0)
            with archive.open(f"xl/worksheets/sheet{i}.xml", "w",
                              force_zip64=size > (1 << 31)) as entry:
                for chunk in iter(lambda h=handle: h.read(1 << 20), b""):
                    entry.write(chunk)


def write_xlsx(layout: list[Table], options: CsvOptions,
               chunks: Iterator[list[Row]]) -> Iterator[bytes]:
    """The workbook's bytes: `layout` (csv_export.layout_for) as sheets, `chunks` as rows."""
    writer = _Writer(layout, options)
    names = set(n.casefold() for n in sheet_names(layout))
    sheets = [_Sheet(name, table.header(), column_kinds(table))
              for name, table in zip(sheet_names(layout), layout, strict=True)]
    for sheet in sheets:
        sheet._start(names)
    try:
        for chunk in chunks:
            root = sheets[0]
            for row in chunk:
                cells = writer.root(row)
                cells[0] = naive_utc(row.created_at)
                root.add(cells, names)
                for sheet, table in zip(sheets[1:], layout[1:], strict=True):
                    for cells in writer.repeat(table, row):
                        sheet.add(cells, names)
            for sheet in sheets:
                sheet.flush()
        for sheet in sheets:
            sheet.close()
        with tempfile.TemporaryFile() as spool:
            _package([part for sheet in sheets for part in sheet.parts], spool)
            spool.seek(0)
            yield from iter(lambda: spool.read(1 << 20), b"")
    finally:
        for sheet in sheets:
            sheet.discard()

"""`submissions.xlsx`: the CSV zip's tables as sheets of one workbook, with typed cells.

The first sheet has exactly the columns of `submissions.csv` (the same layout and the same
cell writer, app/exports/csv_export.py); each repeat gets a sheet with PARENT_KEY and KEY.
Cells are typed: integers and decimals as numbers, dates and date-times as Excel dates
(date-times and SubmissionDate in UTC, Excel having no time zones), times as times, the
split geopoint parts and select-multiple 0/1 columns as numbers; a value that does not parse
as its type stays text, and text is always a string, never a formula or a link.

The workbook is written by XlsxWriter (a well-kept library whose files Excel itself accepts)
in its `constant_memory` mode: each sheet's rows go to a temporary file as they arrive, so
memory stays bounded whatever the number of submissions; every cell is written with the
explicit write_string / write_number / write_datetime (and `strings_to_formulas`,
`strings_to_urls`, `strings_to_numbers` are off). The finished file, in a temporary
directory, is then streamed out. A table beyond Excel's 1,048,576 rows continues on a sheet
`name~2`, `~3`, ….
"""
from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from datetime import date, datetime, time

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from app.exports.columns import Table
from app.exports.csv_export import CsvOptions, _Writer
from app.exports.queries import Row
from app.exports.typed import naive_utc, typed

MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_ROWS = 1_048_576  # Excel's rows per sheet, the header included
_ROOT_META_KINDS = ("text", "int", "text", "int", "int", "text", "text", "text", "int", "text",
                    "text", "text", "text")  # KEY .. FormVersion, Channel, SDGTags, QualityFlags
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")
# Characters XML 1.0 cannot carry (XlsxWriter would write them as Excel's _xHHHH_ escapes).
_ILLEGAL = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]|[\ufffe\uffff]")
_OPTIONS = {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
            "strings_to_numbers": False, "use_zip64": True}
_FORMATS = {"date": "yyyy-mm-dd", "dateTime": "yyyy-mm-dd hh:mm:ss", "time": "hh:mm:ss"}


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
    """Valid for Excel (≤ 31 chars, no []:*?/\\, no leading or trailing apostrophe, not the
    reserved "History") and unique ignoring case."""
    base = _SHEET_BAD.sub("_", base).strip("'")[:31].strip("'") or "Sheet"
    if base.casefold() == "history":
        base = f"{base}_"
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


class _Cells:
    """Writes one row's typed cells with XlsxWriter's explicit writers."""

    def __init__(self, book: xlsxwriter.Workbook) -> None:
        self.formats: dict[str, Format] = {kind: book.add_format({"num_format": code})
                                           for kind, code in _FORMATS.items()}

    def text(self, sheet: Worksheet, row: int, col: int, value: str) -> None:
        if _ILLEGAL.search(value):
            value = _ILLEGAL.sub("", value)
        if value:
            sheet.write_string(row, col, value)  # truncated by XlsxWriter past 32,767

    def write(self, sheet: Worksheet, row: int, kinds: list[str], cells: list) -> None:
        for col, (kind, raw) in enumerate(zip(kinds, cells, strict=True)):
            if raw is None or raw == "":
                continue
            if kind == "text" and raw.__class__ is str:  # most cells: no conversion
                if not raw.isspace():
                    self.text(sheet, row, col, raw)
                continue
            value = typed(kind, raw)
            if isinstance(value, str):
                self.text(sheet, row, col, value)
            elif isinstance(value, bool):
                sheet.write_boolean(row, col, value)
            elif isinstance(value, (int, float)):
                sheet.write_number(row, col, value)
            elif isinstance(value, datetime):
                value = naive_utc(value)
                if value.year < 1900:  # before Excel's epoch: no date serial, keep the text
                    self.text(sheet, row, col, raw if isinstance(raw, str) else str(value))
                else:
                    sheet.write_datetime(row, col, value, self.formats["dateTime"])
            elif isinstance(value, date):
                if value.year < 1900:
                    self.text(sheet, row, col, raw if isinstance(raw, str) else str(value))
                else:
                    sheet.write_datetime(row, col, value, self.formats["date"])
            elif isinstance(value, time):
                sheet.write_datetime(row, col, value, self.formats["time"])
            else:
                self.text(sheet, row, col, str(value))


class _Sheet:
    """One table's sheet(s); a new worksheet `name~n` every MAX_ROWS rows."""

    def __init__(self, book: xlsxwriter.Workbook, cells: _Cells, name: str,
                 header: list[str], kinds: list[str], names: set[str]) -> None:
        self.book = book
        self.cells = cells
        self.name = name
        self.header = header
        self.kinds = kinds
        self.names = names
        self.parts = 0
        self.row = MAX_ROWS  # forces the first worksheet
        self.sheet: Worksheet | None = None

    def _start(self) -> None:
        name = self.name if not self.parts else _sheet_name(
            f"{self.name}~{self.parts + 1}", self.names)
        self.parts += 1
        self.sheet = self.book.add_worksheet(name)
        for col, title in enumerate(self.header):
            self.cells.text(self.sheet, 0, col, title)
        self.row = 0

    def add(self, cells: list) -> None:
        if self.row + 1 >= MAX_ROWS:
            self._start()
        self.row += 1
        self.cells.write(self.sheet, self.row, self.kinds, cells)


def write_xlsx(layout: list[Table], options: CsvOptions,
               chunks: Iterator[list[Row]]) -> Iterator[bytes]:
    """The workbook's bytes: `layout` (csv_export.layout_for) as sheets, `chunks` as rows."""
    writer = _Writer(layout, options)
    with tempfile.TemporaryDirectory(prefix="xlsx-") as tmpdir:
        path = os.path.join(tmpdir, "export.xlsx")
        # The sheets' row files live in tmpdir too: an export that fails part-way leaves
        # nothing behind (the workbook is only assembled, by close(), when all rows are in).
        book = xlsxwriter.Workbook(path, {**_OPTIONS, "tmpdir": tmpdir})
        cells = _Cells(book)
        titles = sheet_names(layout)
        names = {name.casefold() for name in titles}
        sheets = [_Sheet(book, cells, name, table.header(), column_kinds(table), names)
                  for name, table in zip(titles, layout, strict=True)]
        for sheet in sheets:
            sheet._start()
        for chunk in chunks:
            root = sheets[0]
            for row in chunk:
                values = writer.root(row)
                values[0] = naive_utc(row.created_at)
                root.add(values)
                for sheet, table in zip(sheets[1:], layout[1:], strict=True):
                    for values in writer.repeat(table, row):
                        sheet.add(values)
        book.close()
        with open(path, "rb") as handle:
            yield from iter(lambda: handle.read(1 << 20), b"")

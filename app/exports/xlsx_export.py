"""`submissions.xlsx`: the CSV zip's tables as sheets of one workbook, with typed cells.

The first sheet has exactly the columns of `submissions.csv` (the same layout and the same
cell writer, app/exports/csv_export.py); each repeat gets a sheet with PARENT_KEY and KEY.
Cells are typed: integers and decimals as numbers, dates and date-times as Excel dates
(date-times and SubmissionDate in UTC, Excel having no time zones), times as times, the
split geopoint parts and select-multiple 0/1 columns as numbers; a value that does not parse
as its type stays text. openpyxl's write-only mode streams each sheet's rows to a temporary
file, so memory stays bounded whatever the number of submissions; the saved workbook is then
streamed from disk.
"""
from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from app.exports.columns import Table
from app.exports.csv_export import CsvOptions, _Writer
from app.exports.queries import Row
from app.exports.typed import naive_utc, typed

MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_ROOT_META_KINDS = ("text", "int", "text", "int", "int", "text", "text", "text", "int", "text",
                    "text", "text", "text")  # KEY .. FormVersion, Channel, SDGTags, QualityFlags
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")
_MAX_TEXT = 32767  # Excel's limit for one cell


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


def sheet_names(layout: list[Table]) -> list[str]:
    """Sheet titles: the CSV file names without `.csv`, made valid (≤ 31 chars, no []:*?/\\)
    and unique."""
    seen: set[str] = set()
    out = []
    for table in layout:
        base = _SHEET_BAD.sub("_", table.name.removesuffix(".csv"))[:31] or "Sheet"
        name, n = base, 1
        while name.casefold() in seen:
            n += 1
            name = f"{base[:31 - len(str(n)) - 1]}~{n}"
        seen.add(name.casefold())
        out.append(name)
    return out


def _cell(sheet, value):
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)[:_MAX_TEXT]
        if value.startswith("="):  # text, never a formula (answers come from the public)
            cell = WriteOnlyCell(sheet, value)
            cell.data_type = "s"
            return cell
    return value


def _typed_row(sheet, kinds: list[str], cells: list) -> list:
    return [_cell(sheet, typed(kind, value)) for kind, value in zip(kinds, cells, strict=True)]


def write_xlsx(layout: list[Table], options: CsvOptions,
               chunks: Iterator[list[Row]]) -> Iterator[bytes]:
    """The workbook's bytes: `layout` (csv_export.layout_for) as sheets, `chunks` as rows."""
    writer = _Writer(layout, options)
    book = Workbook(write_only=True)
    sheets = [book.create_sheet(name) for name in sheet_names(layout)]
    kinds = [column_kinds(table) for table in layout]
    for sheet, table in zip(sheets, layout, strict=True):
        sheet.append(table.header())
    root_sheet, root_kinds = sheets[0], kinds[0]
    for chunk in chunks:
        for row in chunk:
            cells = writer.root(row)
            cells[0] = naive_utc(row.created_at)
            root_sheet.append(_typed_row(root_sheet, root_kinds, cells))
            for sheet, table, table_kinds in zip(sheets[1:], layout[1:], kinds[1:], strict=True):
                for cells in writer.repeat(table, row):
                    sheet.append(_typed_row(sheet, table_kinds, cells))
    with tempfile.TemporaryFile() as spool:
        book.save(spool)
        spool.seek(0)
        yield from iter(lambda: spool.read(1 << 20), b"")

"""Build small XLSForm workbooks in memory for the xlsform tests (and the SMS tests and
benches that add settings to a fixture form)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from io import BytesIO
from pathlib import Path

import openpyxl

Rows = list[list[object]]


def workbook(sheets: Mapping[str, Rows]) -> bytes:
    """An .xlsx with the given sheets in order; each sheet's first row is its header."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    if not wb.sheetnames:
        wb.create_sheet("notes").append(["nothing here"])
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def build_xlsx(
    survey: Rows | None,
    choices: Rows | None = None,
    settings: dict[str, str] | None = None,
) -> bytes:
    """An .xlsx with the given sheets; each sheet's first row is its header."""
    sheets = {"survey": survey, "choices": choices}
    if settings is not None:
        sheets["settings"] = [list(settings), list(settings.values())]
    return workbook({title: rows for title, rows in sheets.items() if rows is not None})


def with_settings(path: Path, columns: Iterable[tuple[str, str]]) -> bytes:
    """The XLSForm at `path` with settings-sheet columns added (consent, sensitive...)."""
    book = openpyxl.load_workbook(path)
    sheet = book["settings"]
    for column, value in columns:
        index = sheet.max_column + 1
        sheet.cell(1, index, column)
        sheet.cell(2, index, value)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def build_xls(survey: Rows, settings: dict[str, str] | None = None) -> bytes:
    """A legacy .xls (BIFF8) workbook with a survey and optional settings sheet."""
    import xlwt

    book = xlwt.Workbook()
    sheets = {"survey": survey}
    if settings is not None:
        sheets["settings"] = [list(settings), list(settings.values())]
    for title, rows in sheets.items():
        ws = book.add_sheet(title)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                ws.write(r, c, value)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def simple_survey(count: int, *, extra_header: list[str] | None = None) -> Rows:
    """A survey sheet of `count` text questions q1..qN."""
    rows: Rows = [["type", "name", "label", *(extra_header or [])]]
    rows += [["text", f"q{i}", f"Question {i}"] for i in range(1, count + 1)]
    return rows

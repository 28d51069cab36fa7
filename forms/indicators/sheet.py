"""The optional `indicators` sheet of an XLSForm: one indicator per row, errors by cell.

Columns: code, sdg, kind, label (label::English (en)...), numerator, denominator,
disaggregate_by, age_groups, period, date, review_states.

`disaggregate_by` lists dimensions by name: `sex age area channel` use the questions the
survey sheet marks in its `disaggregation` column (or `area=${county}` names one), any other
name (or `${name}`) is a select_one question. `age_groups` holds the age cut points
(`15 25 50`), `period` is month, quarter or year, `date` a date question (empty: the date
the submission arrived), `review_states` which states count (empty: all but rejected).
pyxform never reads this sheet; we read it ourselves, from the same workbook bytes.
"""

from __future__ import annotations

import re
from io import BytesIO
from typing import Any

from forms.errors import XLSFormError
from forms.indicators.spec import (
    IndicatorError,
    IndicatorSpec,
    language_key,
    spec_from_json,
)

SHEET = "indicators"
# The API field an IndicatorError names -> the column a coordinator should look at.
COLUMN_OF = {"code": "code", "sdg": "sdg", "kind": "kind", "numerator": "numerator",
             "denominator": "denominator", "disaggregateBy": "disaggregate_by",
             "period": "period", "reviewStates": "review_states", "labels": "label",
             "ageGroups": "age_groups"}
_ITEM = re.compile(r"([A-Za-z_]\w*)\s*=\s*(\$\{[^}]*\}|[\w.-]+)|(\$\{[^}]*\})|([\w.-]+)")
MAX_ROWS = 200


def read_sheet(data: bytes, kind: str) -> list[tuple[int, dict[str, str]]]:
    """[(row number, {header: text})] of the `indicators` sheet; [] when there is none."""
    try:
        rows = _xlsx_rows(data) if kind == "xlsx" else _xls_rows(data)
    except Exception as error:  # the workbook parsed for pyxform; a broken sheet is ours
        raise XLSFormError(f"The '{SHEET}' sheet could not be read: {error}",
                           sheet=SHEET) from error
    if not rows:
        return []
    headers = [str(h).strip() if h is not None else "" for h in rows[0]]
    out = []
    for number, row in enumerate(rows[1:], start=2):
        cells = {headers[i]: _text(v) for i, v in enumerate(row)
                 if i < len(headers) and headers[i] and _text(v)}
        if cells:
            out.append((number, cells))
    if len(out) > MAX_ROWS:
        raise XLSFormError(f"The '{SHEET}' sheet has {len(out)} rows; at most {MAX_ROWS}.",
                           sheet=SHEET, row=MAX_ROWS + 2)
    return out


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _xlsx_rows(data: bytes) -> list[tuple]:
    import openpyxl

    book = openpyxl.load_workbook(BytesIO(data), read_only=True, data_only=True)
    try:
        name = next((n for n in book.sheetnames if n.strip().lower() == SHEET), None)
        return list(book[name].iter_rows(values_only=True)) if name else []
    finally:
        book.close()


def _xls_rows(data: bytes) -> list[tuple]:
    import xlrd

    book = xlrd.open_workbook(file_contents=data)
    name = next((n for n in book.sheet_names() if n.strip().lower() == SHEET), None)
    if name is None:
        return []
    sheet = book.sheet_by_name(name)
    return [tuple(sheet.row_values(r)) for r in range(sheet.nrows)]


def specs_from_rows(rows: list[tuple[int, dict[str, str]]]) -> list[tuple[int, IndicatorSpec]]:
    """Each row as a spec, or XLSFormError naming the sheet, row and column."""
    out: list[tuple[int, IndicatorSpec]] = []
    seen: dict[str, int] = {}
    for number, cells in rows:
        lowered = {k.strip().lower(): v for k, v in cells.items()}
        try:
            spec = spec_from_json(_row_json(cells, lowered))
        except IndicatorError as error:
            column = COLUMN_OF.get(error.field, error.field)
            if column == "disaggregate_by" and "cuts" in error.message and \
                    lowered.get("age_groups"):
                column = "age_groups"
            raise XLSFormError(f"[row : {number}] On the '{SHEET}' sheet, the '{column}' "
                               f"value: {error.message}", sheet=SHEET, row=number,
                               column=column) from None
        if spec.code in seen:
            raise XLSFormError(f"[row : {number}] On the '{SHEET}' sheet, the code "
                               f"'{spec.code}' is used on row {seen[spec.code]} already.",
                               sheet=SHEET, row=number, column="code")
        seen[spec.code] = number
        out.append((number, spec))
    return out


def _row_json(cells: dict[str, str], lowered: dict[str, str]) -> dict[str, Any]:
    labels = {}
    for header, value in cells.items():
        head = header.strip()
        if head.lower() == "label":
            labels[""] = value
        elif head.lower().startswith("label::"):
            labels[language_key(head.split("::", 1)[1])] = value
    dims = parse_dimensions(lowered.get("disaggregate_by", ""), lowered.get("age_groups"))
    if lowered.get("age_groups") and not any(d.get("name") == "age" for d in dims):
        raise IndicatorError("ageGroups", "age groups need age among the disaggregations.")
    return {
        "code": lowered.get("code"), "sdg": lowered.get("sdg"), "kind": lowered.get("kind"),
        "numerator": lowered.get("numerator"), "denominator": lowered.get("denominator"),
        "disaggregateBy": dims,
        "period": {"unit": lowered.get("period") or None, "field": lowered.get("date")},
        "reviewStates": lowered.get("review_states"), "labels": labels,
    }


def parse_dimensions(cell: str, age_groups: str | None) -> list[dict[str, Any]]:
    """`sex age area=${county} channel ${water_source}` -> API dimension objects."""
    items: list[dict[str, Any]] = []
    position = 0
    text = cell.strip()
    while position < len(text):
        if text[position] in " \t,;":
            position += 1
            continue
        m = _ITEM.match(text, position)
        if m is None:
            raise IndicatorError("disaggregateBy", f"cannot read {text[position:]!r}: write "
                                 "names such as sex age area=${county} channel ${source}.")
        position = m.end()
        if m.group(1):
            item: dict[str, Any] = {"name": m.group(1), "field": m.group(2)}
        else:
            ref = m.group(3) or m.group(4)
            item = {"name": ref.lower()} if ref.lower() in ("sex", "age", "area", "channel") \
                else {"field": ref}
        if item.get("name") == "age" and age_groups:
            item["cuts"] = age_groups
        items.append(item)
    return items


def declared_in_workbook(data: bytes, kind: str, xform: bytes,
                         marks: dict[str, str]) -> tuple[IndicatorSpec, ...]:
    """The indicators a workbook declares, each checked against its compiled form;
    XLSFormError names the sheet, row and column of the first one at fault."""
    from forms.indicators.bind import bind
    from forms.model import parse_xform

    rows = read_sheet(data, kind)
    if not rows:
        return ()
    specs = specs_from_rows(rows)
    model = parse_xform(xform)
    for number, spec in specs:
        try:
            bind(spec, model, marks)
        except IndicatorError as error:
            column = COLUMN_OF.get(error.field, error.field)
            if error.field == "period" and spec.period_field:
                column = "date"
            raise XLSFormError(f"[row : {number}] On the '{SHEET}' sheet, the '{column}' "
                               f"value: {error.message}", sheet=SHEET, row=number,
                               column=column) from None
    return tuple(spec for _, spec in specs)

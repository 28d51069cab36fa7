"""An official series uploaded beside ours, in Open SDG's data CSV format: `Year`, `Value`,
optional `Units`, `Series`, `GeoCode` and disaggregation columns (blank on headline rows)."""
from __future__ import annotations

import csv
import io
import math
import re
from typing import Any

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 50_000
_PERIOD = re.compile(r"^\d{4}(?:-(?:Q[1-4]|\d{2}))?$")
_KNOWN = {"year": "Year", "value": "Value", "units": "Units", "series": "Series",
          "geocode": "GeoCode"}


class BadOfficialSeries(ValueError):
    """The upload is not an Open SDG CSV; `row` and `column` say where when known."""

    def __init__(self, message: str, row: int | None = None, column: str | None = None):
        super().__init__(message)
        self.message, self.row, self.column = message, row, column


def parse(data: bytes) -> tuple[list[str], list[dict[str, Any]]]:
    """(columns, rows): each row {"period", "value", "units", "series", "geoCode",
    "disaggregations": {column: value}}; BadOfficialSeries names the first problem."""
    if len(data) > MAX_BYTES:
        raise BadOfficialSeries(f"The file is {len(data)} bytes; at most {MAX_BYTES}.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadOfficialSeries("The file is not UTF-8 text.") from None
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip() for h in next(reader)]
    except (StopIteration, csv.Error):
        raise BadOfficialSeries("The file is empty: Open SDG's CSV starts with a header "
                                "row (Year, ..., Value).") from None
    lowered = [h.lower() for h in header]
    for needed in ("year", "value"):
        if needed not in lowered:
            raise BadOfficialSeries(f"The header has no {_KNOWN[needed]} column.", row=1,
                                    column=_KNOWN[needed])
    if len(set(lowered)) != len(lowered) or "" in lowered:
        raise BadOfficialSeries("Every column needs a name, used once.", row=1)
    rows: list[dict[str, Any]] = []
    try:
        for number, cells in enumerate(reader, start=2):
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(header):
                raise BadOfficialSeries(f"Row {number} has {len(cells)} cells; the header has "
                                        f"{len(header)}.", row=number)
            rows.append(_row(number, dict(zip(lowered, (c.strip() for c in cells),
                                              strict=True)), header))
            if len(rows) > MAX_ROWS:
                raise BadOfficialSeries(f"More than {MAX_ROWS} rows.", row=number)
    except csv.Error as error:
        raise BadOfficialSeries(f"The CSV could not be read: {error}") from None
    return header, rows


def _row(number: int, cells: dict[str, str], header: list[str]) -> dict[str, Any]:
    period = cells["year"]
    if not _PERIOD.match(period):
        raise BadOfficialSeries(f"Row {number}: Year {period!r} is not a year (2024), quarter "
                                "(2024-Q1) or month (2024-03).", row=number, column="Year")
    raw = cells["value"]
    value: float | None = None
    if raw:
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        if math.isnan(value) or math.isinf(value):
            raise BadOfficialSeries(f"Row {number}: Value {raw!r} is not a number.",
                                    row=number, column="Value")
    names = {h.lower(): h for h in header}
    return {"period": period, "value": value, "units": cells.get("units") or None,
            "series": cells.get("series") or None, "geoCode": cells.get("geocode") or None,
            "disaggregations": {names[k]: v for k, v in cells.items()
                                if k not in _KNOWN and v}}

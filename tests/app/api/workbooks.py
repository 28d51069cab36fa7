"""Build small XLSForm workbooks in memory for the forms API tests."""
from __future__ import annotations

from io import BytesIO

from openpyxl import Workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsform(survey: list[dict], *, choices: list[dict] | None = None,
            settings: dict | None = None, survey_sheet: str = "survey") -> bytes:
    """An .xlsx with the given rows (dicts keyed by column name) on each sheet."""
    book = Workbook()
    book.remove(book.active)
    for title, rows in ((survey_sheet, survey), ("choices", choices or []),
                        ("settings", [settings] if settings else [])):
        if not rows and title != survey_sheet:
            continue
        sheet = book.create_sheet(title)
        columns = list(dict.fromkeys(k for row in rows for k in row))
        sheet.append(columns)
        for row in rows:
            sheet.append([row.get(c) for c in columns])
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def simple_form(form_id: str = "simple", version: str = "1", *, questions: int = 2,
                logo: bool = False, **settings) -> bytes:
    """A valid form with `questions` text questions; `logo` adds an image media slot."""
    survey = [{"type": "text", "name": f"q{i}", "label": f"Question {i}"}
              for i in range(1, questions + 1)]
    if logo:
        survey.append({"type": "note", "name": "banner", "label": "Welcome",
                       "media::image": "logo.png"})
    return xlsform(survey, settings={"form_id": form_id, "version": version,
                                     "form_title": f"Form {form_id}", **settings})

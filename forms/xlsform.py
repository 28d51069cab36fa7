"""Publish a form: XLSForm or XForm upload -> CompiledForm (XForm, ids, SDG mapping, media)."""

from __future__ import annotations

import dataclasses
import hashlib
import re
from dataclasses import dataclass
from io import BytesIO
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from forms import upload
from forms.errors import XLSFormError, XLSFormWarnings
from forms.indicators import IndicatorSpec, declared_in_workbook
from forms.media import AttachmentSlot, attachment_slots
from forms.model import DS
from forms.privacy import KINDS as PRIVACY_KINDS
from forms.sdg.catalogue import is_known_code, parse_codes
from forms.settings import ConversationSettings, read_settings
from forms.validate import run_odk_validate

if TYPE_CHECKING:  # pyxform (with openpyxl and numpy, ~40 MB) loads on the first upload only
    from pyxform.errors import PyXFormError
    from pyxform.xls2json_backends import DefinitionData

DISAGGREGATIONS = frozenset({"sex", "age", "location"})
_SMS_KEYWORD = re.compile(r"^[A-Z0-9]+$")
_ROW = re.compile(r"\[row\s*:\s*(\d+)\]")
_SHEET = re.compile(
    r"'?\b(survey|choices|settings|entities|external_choices)\b'?\s+sheet"
    r"|sheet named '(survey|choices|settings|entities|external_choices)'"
)
_COLUMN = re.compile(r"the '([\w:]+)' (?:value|column)|column '([\w:]+)'")
_UNKNOWN_TYPE = re.compile(r"Unknown question type '(.+)'")


@dataclass(frozen=True)
class SdgMapping:
    """SDG codes a form declares: for the whole form, per question path, per (path, choice)."""

    form: tuple[str, ...] = ()
    questions: dict[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)
    choices: dict[tuple[str, str], tuple[str, ...]] = dataclasses.field(default_factory=dict)

    def to_json(self) -> dict:
        """A JSON-serialisable dict; choices become a list because JSON keys are strings."""
        return {
            "form": list(self.form),
            "questions": {path: list(codes) for path, codes in self.questions.items()},
            "choices": [
                {"path": path, "choice": name, "codes": list(codes)}
                for (path, name), codes in self.choices.items()
            ],
        }

    @classmethod
    def from_json(cls, d: dict) -> SdgMapping:
        """Inverse of to_json."""
        return cls(
            form=tuple(d.get("form", ())),
            questions={p: tuple(c) for p, c in d.get("questions", {}).items()},
            choices={(c["path"], c["choice"]): tuple(c["codes"]) for c in d.get("choices", ())},
        )


@dataclass(frozen=True)
class CompiledForm:
    """A form ready to store: its XForm and everything the project reads from the upload."""

    xml: bytes
    form_id: str
    version: str
    title: str
    sdg: SdgMapping
    sms_keyword: str | None
    disaggregation: dict[str, str]
    attachments: tuple[AttachmentSlot, ...]
    warnings: tuple[str, ...]
    validated: bool
    xlsform: bytes | None
    xlsform_content_type: str | None = None  # what Central serves the workbook back as
    # consent, sensitive, sms_progress (forms.settings); an XForm upload has none
    conversation: ConversationSettings = ConversationSettings()
    indicators: tuple[IndicatorSpec, ...] = ()  # from the optional `indicators` sheet


@dataclass(frozen=True)
class _Cell:
    sheet: str
    row: int
    column: str
    value: str


def compile_upload(
    data: bytes,
    content_type: str | None,
    filename: str | None = None,
    *,
    fallback_form_id: str | None = None,
    ignore_warnings: bool = False,
    validate: bool = True,
    max_bytes: int = 50 * 1024 * 1024,
) -> CompiledForm:
    """Compile an uploaded XLSForm (.xlsx/.xls) or XForm (.xml) as ODK Central does."""
    kind = upload.classify(data, content_type, filename, max_bytes=max_bytes)
    if kind == "xml":
        return _compile_xform(data, validate=validate)
    return _compile_xlsform(
        data,
        kind,
        fallback_form_id=fallback_form_id or (PurePath(filename).stem if filename else None),
        ignore_warnings=ignore_warnings,
        validate=validate,
    )


def set_version(xml: bytes, version: str) -> tuple[bytes, str]:
    """Set the primary instance root's `version` attribute; return (new XForm, its md5)."""
    new_xml = upload.rewrite_version(xml, version)
    return new_xml, hashlib.md5(new_xml).hexdigest()


def _compile_xform(data: bytes, *, validate: bool) -> CompiledForm:
    info = upload.read_xform(data)
    warnings: list[str] = []
    validated = False
    if validate:
        result = run_odk_validate(data)
        validated, warnings = result.validated, list(result.warnings)
    return CompiledForm(
        xml=data,
        form_id=info.form_id,
        version=info.version,
        title=info.title,
        sdg=SdgMapping(),
        sms_keyword=None,
        disaggregation={},
        attachments=attachment_slots(data),
        warnings=tuple(warnings),
        validated=validated,
        xlsform=None,
    )


def _compile_xlsform(
    data: bytes,
    kind: str,
    *,
    fallback_form_id: str | None,
    ignore_warnings: bool,
    validate: bool,
) -> CompiledForm:
    if kind == "xlsx":
        upload.check_zip(data)
    workbook = _read_workbook(data, kind)
    settings = _settings(workbook)
    id_column = "id_string" if settings.get("id_string") else "form_id"
    form_id = settings.get(id_column) or fallback_form_id
    if form_id and "/" in form_id:
        raise XLSFormError(
            f"The {id_column} '{form_id}' may not contain '/'.",
            sheet="settings",
            row=2,
            column=id_column,
        )
    cells = _extension_cells(workbook, settings)
    types = [(index, _cell_value(row, "type")) for index, row in enumerate(workbook.survey, 2)]
    workbook = _privacy_binds(dataclasses.replace(workbook, fallback_form_name=fallback_form_id))
    warnings: list[str] = []
    from pyxform.errors import PyXFormError
    from pyxform.xls2xform import convert

    try:
        result = convert(dataclasses.asdict(workbook), warnings=warnings)
    except PyXFormError as exc:
        raise _pyxform_error(exc, warnings, types) from exc
    except Exception as exc:  # pyxform has unguarded paths; no raw exception escapes
        raise XLSFormError(str(exc) or type(exc).__name__, warnings=warnings) from exc
    _check_extension_cells(cells)
    conversation = read_settings(settings, result._pyxform or {})
    if warnings and not ignore_warnings:
        raise XLSFormWarnings(warnings)
    xml = result.xform.encode("utf-8")
    survey = result._pyxform or {}
    disaggregation = {path: value.lower() for path, node in _questions(survey)
                      if (value := _cell_value(node, "disaggregation"))}
    indicators = declared_in_workbook(data, kind, xml, disaggregation)
    validated = False
    if validate:
        checked = run_odk_validate(xml)
        validated = checked.validated
        warnings.extend(checked.warnings)
    keyword = settings.get("sms_keyword")
    return CompiledForm(
        xml=xml,
        form_id=str(survey.get("id_string") or ""),
        version=str(survey.get("version") or ""),
        title=str(survey.get("title") or ""),
        sdg=_sdg_mapping(survey, parse_codes(settings.get("sdg"))),
        sms_keyword=keyword.strip().upper() if keyword else None,
        disaggregation=disaggregation,
        attachments=attachment_slots(xml),
        warnings=tuple(warnings),
        validated=validated,
        xlsform=data,
        xlsform_content_type=upload.XLSX_TYPE if kind == "xlsx" else upload.XLS_TYPE,
        conversation=conversation,
        indicators=indicators,
    )


def _read_workbook(data: bytes, kind: str) -> DefinitionData:
    from pyxform.xls2json_backends import get_xlsform

    try:
        workbook = get_xlsform(BytesIO(data), file_type=f".{kind}")
    except Exception as exc:
        raise XLSFormError(f"The file could not be read as an .{kind} workbook: {exc}") from exc
    if workbook.survey is None:
        raise XLSFormError("The workbook has no 'survey' sheet.", sheet="survey")
    return workbook


def _privacy_binds(workbook: DefinitionData) -> DefinitionData:
    """The `privacy` column becomes the bind attribute `ds:privacy` (pyxform writes `bind::`
    columns onto the bind and declares the namespaces the settings name), so the XForm itself
    says which answers are personal; Collect ignores it."""
    survey = workbook.survey or []
    if not any(_cell_value(row, "privacy") for row in survey):
        return workbook
    rows = []
    for row in survey:
        value = _cell_value(row, "privacy")
        row = {k: v for k, v in row.items() if str(k).strip().lower() != "privacy"}
        if value:
            row["bind::ds:privacy"] = value.lower()
        rows.append(row)
    settings = [dict(r) for r in (workbook.settings or [{}])]
    declared = str(settings[0].get("namespaces") or "").strip()
    settings[0]["namespaces"] = f'{declared} ds="{DS}"'.strip()
    header = {k: None for k in (workbook.survey_header or [{}])[0]
              if str(k).strip().lower() != "privacy"}
    return dataclasses.replace(
        workbook, survey=rows, settings=settings,
        survey_header=[{**header, "bind::ds:privacy": None}],
        settings_header=[{**(workbook.settings_header or [{}])[0], "namespaces": None}])


def _settings(workbook: DefinitionData) -> dict[str, str]:
    rows = workbook.settings or [{}]
    return {str(k).strip().lower(): str(v).strip() for k, v in rows[0].items() if v is not None}


def _cell_value(row: dict[str, Any] | None, column: str) -> str | None:
    for key, value in (row or {}).items():
        if str(key).strip().lower() == column and value is not None and str(value).strip():
            return str(value).strip()
    return None


def _extension_cells(workbook: DefinitionData, settings: dict[str, str]) -> list[_Cell]:
    """Our columns (sdg, disaggregation, sms_keyword), with their cell, before pyxform runs."""
    cells = [
        _Cell("settings", 2, column, settings[column])
        for column in ("sdg", "sms_keyword")
        if settings.get(column)
    ]
    for sheet, rows, columns in (
        ("survey", workbook.survey or [], ("sdg", "disaggregation", "privacy")),
        ("choices", workbook.choices or [], ("sdg",)),
    ):
        for index, row in enumerate(rows, start=2):  # row 1 holds the headers
            for column in columns:
                value = _cell_value(row, column)
                if value is not None:
                    cells.append(_Cell(sheet, index, column, value))
    return cells


def _check_extension_cells(cells: list[_Cell]) -> None:
    for cell in cells:
        where = {"sheet": cell.sheet, "row": cell.row, "column": cell.column}
        at = f"[row : {cell.row}] On the '{cell.sheet}' sheet, the '{cell.column}' value"
        if cell.column == "sdg":
            codes = parse_codes(cell.value)
            unknown = [code for code in codes if not is_known_code(code)]
            if unknown or not codes:
                raise XLSFormError(
                    f"{at} has unknown SDG code(s): {', '.join(unknown) or cell.value!r}.",
                    **where,
                )
        elif cell.column == "disaggregation":
            if cell.value.lower() not in DISAGGREGATIONS:
                raise XLSFormError(
                    f"{at} '{cell.value}' must be one of: sex, age, location.", **where
                )
        elif cell.column == "privacy":
            if cell.value.lower() not in PRIVACY_KINDS:
                raise XLSFormError(
                    f"{at} '{cell.value}' must be one of: {', '.join(PRIVACY_KINDS)}.", **where
                )
        elif cell.column == "sms_keyword" and not _SMS_KEYWORD.match(cell.value.upper()):
            raise XLSFormError(
                f"{at} '{cell.value}' must be one word of letters and digits.", **where
            )


def _pyxform_error(
    exc: PyXFormError, warnings: list[str], types: list[tuple[int, str | None]]
) -> XLSFormError:
    message = str(exc)
    context = getattr(exc, "context", {}) or {}
    row = context.get("row")
    sheet = context.get("sheet")
    column = context.get("column")
    if row is None and (m := _UNKNOWN_TYPE.search(message)):
        # pyxform names the type but not where it is; find its first row ourselves.
        rows = [index for index, value in types if value == m.group(1)]
        if rows:
            row, sheet, column = rows[0], "survey", "type"
            message = f"[row : {row}] {message}"
    if row is None and (m := _ROW.search(message)):
        row = int(m.group(1))
    if sheet is None and (m := _SHEET.search(message)):
        sheet = m.group(1) or m.group(2)
    if column is None and (m := _COLUMN.search(message)):
        column = m.group(1) or m.group(2)
    if sheet is None and row is not None:
        sheet = "survey"  # pyxform's older "[row : N]" messages all come from the survey loop
    return XLSFormError(
        message,
        sheet=sheet,
        row=int(row) if row is not None else None,
        column=column,
        warnings=warnings,
    )


def _questions(survey: dict, path: str | None = None):
    """Yield (xpath, node) for every element under the survey, depth first."""
    base = path if path is not None else f"/{survey.get('name', 'data')}"
    for node in survey.get("children", []):
        node_path = f"{base}/{node['name']}"
        yield node_path, node
        yield from _questions(node, node_path)


def _sdg_mapping(survey: dict, form_codes: tuple[str, ...]) -> SdgMapping:
    choice_lists: dict[str, list[dict]] = survey.get("choices", {}) or {}
    questions: dict[str, tuple[str, ...]] = {}
    choices: dict[tuple[str, str], tuple[str, ...]] = {}
    for path, node in _questions(survey):
        if codes := parse_codes(_cell_value(node, "sdg")):
            questions[path] = codes
        list_name = node.get("list_name") or node.get("itemset")
        for choice in choice_lists.get(list_name, []) if list_name else []:
            if codes := parse_codes(_cell_value(choice, "sdg")):
                choices[(path, str(choice["name"]))] = codes
    return SdgMapping(form=form_codes, questions=questions, choices=choices)

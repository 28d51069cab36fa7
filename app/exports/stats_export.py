"""`submissions.sav` (SPSS) and `submissions.dta` (Stata), written with pyreadstat.

Tables are the CSV zip's (app/exports/columns.py): the root and one per repeat, linked by
KEY / PARENT_KEY, with the same rows and the same phone masking (the cells come from the CSV
writer). Neither format holds more than one table, so, as Central's `submissions.csv` and
`submissions.csv.zip`: `submissions.sav` / `.dta` is the submissions (root) table alone — all
of a form without repeats — and `submissions.sav.zip` / `.dta.zip` a zip of `{formId}.sav`
and one `{formId}-{repeat}.sav` per repeat, which an analyst merges on KEY = PARENT_KEY.

Variables, per question:
- names from the field name, made valid: ASCII letters, digits and `_`, starting with a
  letter, at most 64 characters (SPSS) or 32 (Stata), not a reserved word, unique ignoring
  case (`_2`, `_3` … when two fields share a name);
- variable labels from the question's label, value labels from its choices, in the language
  asked for (the form's default otherwise);
- int and decimal answers numeric; date as a date; dateTime as a date-time (UTC);
- select_one numeric: the choice name itself when every choice name is an integer, else
  1, 2, … in the form's choice order, labelled with the choices; a value the form does not
  list gets the next code, labelled with the value itself;
- select_multiple: the answer as text (the choice names) plus one 0/1 variable per choice,
  missing when the question was not answered;
- geopoint: four numeric variables `_lat`, `_lon`, `_alt`, `_acc`;
- anything else text. A number or date that does not parse is missing (the pipeline's
  quality flags, in QualityFlags, name it).

pyreadstat writes a whole table at once, so the rows are held in memory as column lists
(numbers as arrays of doubles) while the file is built: about 100 bytes per text cell and 8
per number. Large forms are better exported as a background job or as CSV/XLSX.
"""
from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from app.exports.columns import Table, is_select_multiple, tables
from app.exports.csv_export import CsvOptions, _Writer
from app.exports.queries import Row
from app.exports.typed import localized, naive_utc, to_date, to_datetime
from app.exports.zipstream import ZipStream
from forms.model import Field, FormModel

MIMETYPES = {"sav": "application/x-spss-sav", "dta": "application/x-stata-dta"}
ZIP_MIMETYPE = "application/zip"
_MAX_NAME = {"sav": 64, "dta": 32}
_SPSS_RESERVED = {"all", "and", "by", "eq", "ge", "gt", "le", "lt", "ne", "not", "or", "to",
                  "with"}
_STATA_RESERVED = {"_all", "_b", "byte", "_coef", "_cons", "double", "float", "if", "in",
                   "int", "long", "_n", "_pi", "_pred", "_rc", "_skip", "strl", "using",
                   "with"}
_VAR_LABEL = {"sav": 255, "dta": 80}       # characters
_VALUE_LABEL = {"sav": 120, "dta": 32000}  # bytes (SPSS) / characters (Stata)
_MAX_TEXT = {"sav": 32767, "dta": 2045}    # bytes of a text value (Stata: str2045)
_SHARED = 4096  # distinct values per variable kept once (beyond, new values are not shared)
_META = (("KEY", "text", "Instance ID"), ("SubmitterID", "number", "Submitter ID"),
         ("SubmitterName", "text", "Submitter name"),
         ("AttachmentsPresent", "number", "Attachments present"),
         ("AttachmentsExpected", "number", "Attachments expected"),
         ("Status", None, ""), ("ReviewState", "text", "Review state"),
         ("DeviceID", "text", "Device ID"), ("Edits", "number", "Edits"),
         ("FormVersion", "text", "Form version"), ("Channel", "text", "Channel"),
         ("SDGTags", "text", "SDG tags"), ("QualityFlags", "text", "Quality flags"))


def is_select_one(f: Field) -> bool:
    return f.control == "select1" and bool(f.choices)


@dataclass
class Variable:
    """One output column: where its value is in the CSV writer's cells, and how it is kept."""

    cell: int
    base: str
    label: str
    kind: str  # number | text | date | datetime | coded | split
    codes: dict[str, int] = field(default_factory=dict)
    value_labels: dict[int, str] = field(default_factory=dict)
    source: int | None = None  # split: the cell of the select-multiple's answer
    name: str = ""
    values: list | array = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.kind in ("number", "coded", "split"):
            self.values = array("d")
        # Repeated texts and dates (choices, counties, channels, days) are kept once.
        self._seen: dict = {}

    def _once(self, value):
        seen = self._seen
        if len(seen) < _SHARED:
            return seen.setdefault(value, value)
        return seen.get(value, value)

    def add(self, cells: list) -> None:
        raw = cells[self.cell]
        text = "" if raw is None else str(raw).strip()
        kind = self.kind
        if kind == "text":
            self.values.append(self._once(text) if text else None)
        elif kind == "number":
            try:
                self.values.append(float(text) if text else float("nan"))
            except ValueError:
                self.values.append(float("nan"))
        elif kind == "split":
            answered = str(cells[self.source] or "").strip()
            self.values.append(float(raw) if answered else float("nan"))
        elif kind == "coded":
            if not text:
                self.values.append(float("nan"))
                return
            if text not in self.codes:  # a value the form does not list
                code = max([0, *self.codes.values()]) + 1
                self.codes[text] = code
                self.value_labels[code] = text
            self.values.append(float(self.codes[text]))
        elif kind == "date":
            value = to_date(text) if text else None
            self.values.append(self._once(value) if isinstance(value, date) else None)
        else:  # datetime
            value = raw if isinstance(raw, datetime) else (to_datetime(text) if text else None)
            self.values.append(self._once(value) if isinstance(value, datetime) else None)


def _codes(f: Field, language: str | None) -> tuple[dict[str, int], dict[int, str]]:
    names = [c.name for c in f.choices]
    numeric = all(re.fullmatch(r"-?\d{1,9}", n) for n in names) and len(set(map(int, names))) \
        == len(names)
    codes = {n: (int(n) if numeric else i) for i, n in enumerate(names, 1)}
    labels = {codes[c.name]: localized(c.labels, language) or c.name for c in f.choices}
    return codes, labels


def _variables(model: FormModel, table: Table, language: str | None) -> list[Variable]:
    out: list[Variable] = []
    cell = 0
    if table.repeat is None:
        out.append(Variable(0, "SubmissionDate", "Submission date", "datetime"))
        cell = 1
    for column in table.columns:
        f = model.field(column.path) if model.has_field(column.path) else None
        base = column.path.rsplit("/", 1)[-1]
        label = (localized(f.labels, language) if f is not None else "") or base
        if column.type == "geopoint":
            for i, part in enumerate(("lat", "lon", "alt", "acc")):
                names = ("latitude", "longitude", "altitude", "accuracy")
                out.append(Variable(cell + i, f"{base}_{part}", f"{label} ({names[i]})",
                                    "number"))
            cell += 4
        elif column.select_values:
            out.append(Variable(cell, base, label, "text"))
            choices = {c.name: c for c in (f.choices if f is not None else ())}
            for i, value in enumerate(column.select_values, 1):
                choice = choices.get(value)
                text = (localized(choice.labels, language) if choice else "") or value
                out.append(Variable(cell + i, f"{base}_{value}", f"{label}: {text}", "split",
                                    source=cell))
            cell += 1 + len(column.select_values)
        else:
            if f is not None and is_select_one(f):
                codes, labels = _codes(f, language)
                out.append(Variable(cell, base, label, "coded", codes, labels))
            else:
                kind = {"int": "number", "decimal": "number", "date": "date",
                        "dateTime": "datetime"}.get(column.type, "text")
                out.append(Variable(cell, base, label, kind))
            cell += 1
    if table.repeat is None:
        for i, (name, kind, label) in enumerate(_META):
            if kind is not None:
                out.append(Variable(cell + i, name, label, kind))
    else:
        out += [Variable(cell, "PARENT_KEY", "Parent key", "text"),
                Variable(cell + 1, "KEY", "Key", "text")]
    return out


def valid_name(text: str, fmt: str) -> str:
    """A variable name SPSS (`sav`) or Stata (`dta`) accepts, before de-duplication."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    name = re.sub(r"[^A-Za-z0-9_]", "_", ascii_text)
    if not name or not name[0].isalpha():
        name = "v" + name
    name = name[:_MAX_NAME[fmt]]
    reserved = _SPSS_RESERVED if fmt == "sav" else _STATA_RESERVED
    if name.lower() in reserved or (fmt == "dta" and re.fullmatch(r"str\d+", name.lower())):
        name = (name + "_")[:_MAX_NAME[fmt]]
    return name


def name_variables(variables: list[Variable], fmt: str) -> None:
    """Valid, unique (ignoring case) names: `_2`, `_3` … on a clash."""
    seen: set[str] = set()
    limit = _MAX_NAME[fmt]
    for variable in variables:
        base = valid_name(variable.base, fmt)
        name, n = base, 1
        while name.lower() in seen:
            n += 1
            name = f"{base[:limit - len(str(n)) - 1]}_{n}"
        seen.add(name.lower())
        variable.name = name


def _cut_bytes(text: str, limit: int) -> str:
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[:limit].decode("utf-8", "ignore")


def _write(variables: list[Variable], fmt: str, path: str, file_label: str) -> None:
    import numpy as np
    import pandas as pd
    import pyreadstat

    columns = {}
    for v in variables:
        if isinstance(v.values, array):
            columns[v.name] = np.frombuffer(v.values, dtype="float64") if len(v.values) \
                else np.array([], dtype="float64")
        elif v.kind == "datetime":
            columns[v.name] = pd.to_datetime(pd.Series(v.values, dtype=object))
        elif v.kind == "text":
            limit = _MAX_TEXT[fmt]
            columns[v.name] = pd.Series(
                [None if t is None else _cut_bytes(t, limit) for t in v.values], dtype=object)
        else:
            columns[v.name] = pd.Series(v.values, dtype=object)
    frame = pd.DataFrame(columns)
    labels = {v.name: (v.label[:_VAR_LABEL[fmt]] if fmt == "dta"
                       else _cut_bytes(v.label, _VAR_LABEL[fmt])) for v in variables}
    value_labels = {}
    for v in variables:
        if v.value_labels:
            value_labels[v.name] = {
                code: (_cut_bytes(text, _VALUE_LABEL[fmt]) if fmt == "sav"
                       else text[:_VALUE_LABEL[fmt]]) for code, text in v.value_labels.items()}
    whole = {v.name: ("F8.0" if fmt == "sav" else "%9.0g") for v in variables
             if v.kind in ("coded", "split")}
    if fmt == "sav":
        pyreadstat.write_sav(frame, path, file_label=_cut_bytes(file_label, 64),
                             column_labels=labels, variable_value_labels=value_labels,
                             variable_format=whole)
    else:
        pyreadstat.write_dta(frame, path, file_label=file_label[:80], column_labels=labels,
                             variable_value_labels=value_labels, variable_format=whole)


def layout_for(model: FormModel) -> list[Table]:
    """The CSV zip's tables, with every select-multiple's choices split into 0/1 columns."""
    values = {f.path: [c.name for c in f.choices] for f in model.fields
              if is_select_multiple(f) and f.choices}
    return tables(model, select_values=values)


def write_stats(model: FormModel, chunks: Iterator[list[Row]], fmt: str, *,
                zipped: bool = False, language: str | None = None,
                mask: Callable[[str], str] | None = None,
                phone_paths: frozenset[str] = frozenset()) -> Iterator[bytes]:
    """The root table's `.sav`/`.dta` file, or (`zipped`) the zip of one file per table;
    `language` is one of model.languages (None: the untranslated labels / the default)."""
    if fmt not in MIMETYPES:
        raise ValueError(f"fmt must be 'sav' or 'dta', not {fmt!r}")
    layout = layout_for(model)
    if not zipped:
        layout = layout[:1]
    options = CsvOptions(mask=mask, phone_paths=phone_paths)
    writer = _Writer(layout, options)
    per_table = [_variables(model, table, language) for table in layout]
    for variables in per_table:
        name_variables(variables, fmt)
    for chunk in chunks:
        for row in chunk:
            cells = writer.root(row)
            cells[0] = naive_utc(row.created_at)
            for variable in per_table[0]:
                variable.add(cells)
            for table, variables in zip(layout[1:], per_table[1:], strict=True):
                for sub in writer.repeat(table, row):
                    for variable in variables:
                        variable.add(sub)
    title = localized({"": model.title}, None) or model.form_id
    files = []
    try:
        for variables in per_table:
            handle, path = tempfile.mkstemp(suffix=f".{fmt}")
            os.close(handle)
            files.append(path)
            _write(variables, fmt, path, title)
            for variable in variables:  # free the columns as soon as they are on disk
                variable.values, variable._seen = [], {}
        if not zipped:
            yield from _read(files[0])
            return
        archive = ZipStream()
        for table, path in zip(layout, files, strict=True):
            yield from archive.entry(table.name.removesuffix(".csv") + f".{fmt}", _read(path))
        yield from archive.close()
    finally:
        for path in files:
            os.unlink(path)


def _read(path: str) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        yield from iter(lambda: handle.read(1 << 20), b"")

"""Choice labels for the pages that show answers: a select's own choices, a choice filter's
secondary instance (forms.model reads both), and select_one_from_file / select_multiple_from_file,
whose choices live in a CSV or XML file attached to the form version (read here, once per file).
Rank questions (odk:rank) are labelled like select_multiple."""
from __future__ import annotations

import csv
import io
from functools import lru_cache

from defusedxml.ElementTree import fromstring
from sqlalchemy import select

from app.extensions import db
from app.models import FormAttachment, FormVersion
from app.services import storage
from app.web.ui import formtext
from forms.model import Field, FormModel

SELECTS = ("select1", "select", "odk:rank")
MANY = ("select", "odk:rank")
MAX_FILE = 20 * 1024 * 1024  # a bigger list is shown by its names
Labels = dict[str, dict[str, str]]  # choice name -> {form language ("" untranslated): label}


def _label_columns(header: list[str], label_ref: str) -> dict[str, str]:
    """Columns holding the label: `label` (untranslated) and `label::Lang`."""
    out = {}
    for column in header:
        if column == label_ref:
            out[column] = ""
        elif column.startswith(f"{label_ref}::"):
            out[column] = column.split("::", 1)[1]
    return out


@lru_cache(maxsize=64)
def _parse(sha256: str, kind: str, value_ref: str, label_ref: str) -> Labels:
    """A list file's labels; content-addressed, so cached by its hash for the process."""
    data = storage.blob_path(sha256).read_bytes()
    out: Labels = {}
    if kind == "csv":
        text = data.decode("utf-8-sig", "replace")
        reader = csv.DictReader(io.StringIO(text))
        columns = _label_columns(reader.fieldnames or [], label_ref)
        for row in reader:
            name = (row.get(value_ref) or "").strip()
            if name:
                out[name] = {lang: (row.get(col) or "").strip() for col, lang in columns.items()
                             if (row.get(col) or "").strip()}
        return out
    root = fromstring(data, forbid_dtd=True)
    for item in root.iter("item"):
        name = (item.findtext(value_ref) or "").strip()
        if not name:
            continue
        labels = {}
        for child in item:
            lang = _label_columns([child.tag], label_ref).get(child.tag)
            if lang is not None and (child.text or "").strip():
                labels[lang] = child.text.strip()
        out[name] = labels
    return out


def _from_file(version: FormVersion, model: FormModel, field: Field) -> Labels:
    itemset = field.itemset
    src = (model.external_instances or {}).get(itemset.instance_id or "")
    if not src:
        return {}
    name = src.rsplit("/", 1)[-1]
    kind = "csv" if name.lower().endswith(".csv") else "xml" if name.lower().endswith(
        ".xml") else None
    if kind is None:
        return {}
    slot = db.session.scalar(select(FormAttachment).where(
        FormAttachment.form_version_id == version.id, FormAttachment.name == name))
    if slot is None or slot.blob is None or (slot.blob.size or 0) > MAX_FILE:
        return {}
    try:
        return _parse(slot.blob.sha256, kind, itemset.value_ref, itemset.label_ref)
    except (OSError, ValueError, SyntaxError, csv.Error):  # a broken list: show names
        return {}


class Labeller:
    """An answer's choice names as labels in one form language, for one form version."""

    def __init__(self, version: FormVersion, model: FormModel, language: str | None) -> None:
        self.version, self.model, self.language = version, model, language
        self._maps: dict[str, dict[str, str]] = {}

    def labels_of(self, field: Field) -> dict[str, str]:
        found = self._maps.get(field.path)
        if found is None:
            if field.choices:
                found = {c.name: formtext.choice_label(c, self.language) for c in field.choices}
            elif field.itemset is not None:
                found = {name: formtext.pick(texts, self.language) or name
                         for name, texts in _from_file(self.version, self.model, field).items()}
            else:
                found = {}
            self._maps[field.path] = found
        return found

    def text(self, field: Field, value: str) -> str:
        labels = self.labels_of(field)
        names = value.split() if field.control in MANY else [value]
        return ", ".join(labels.get(n, n) for n in names)

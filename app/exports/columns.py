"""ODK Central's Briefcase table layout for a form: one table for the root, one per repeat."""
from __future__ import annotations

from dataclasses import dataclass, field

from forms.flatten import repeat_of as owner_repeat
from forms.model import Field, FormModel

ROOT_META = ("KEY", "SubmitterID", "SubmitterName", "AttachmentsPresent", "AttachmentsExpected",
             "Status", "ReviewState", "DeviceID", "Edits", "FormVersion")
OUR_META = ("Channel", "SDGTags", "QualityFlags")


@dataclass
class Column:
    """A form field's place in a table: its path, header name(s) and how it is written."""

    path: str
    name: str
    type: str
    select_values: tuple[str, ...] = ()

    @property
    def headers(self) -> list[str]:
        if self.type == "geopoint":
            return [f"{self.name}-{part}" for part in ("Latitude", "Longitude", "Altitude",
                                                       "Accuracy")]
        return [self.name, *(f"{self.name}/{value}" for value in self.select_values)]


@dataclass
class Table:
    """A CSV file: the root (`repeat` None) or a repeat's rows."""

    repeat: str | None
    name: str
    columns: list[Column] = field(default_factory=list)

    def header(self) -> list[str]:
        names = [h for c in self.columns for h in c.headers]
        if self.repeat is None:
            return ["SubmissionDate", *names, *ROOT_META, *OUR_META]
        return [*names, "PARENT_KEY", "KEY"]


def leaf_fields(model: FormModel) -> list[Field]:
    return [f for f in model.fields if f.kind not in ("group", "repeat")]


def is_select_multiple(f: Field) -> bool:
    return f.control == "select" or f.type == "select"


def tables(model: FormModel, *, group_paths: bool = True,
           select_values: dict[str, list[str]] | None = None,
           extra_fields: list[tuple[Field, str | None]] = ()) -> list[Table]:
    """Root first, then repeats depth-first, named as Central names the zip's files."""
    root = Table(None, model.form_id)
    found = {None: root}
    order: list[Table] = [root]
    base = "/" + model.root_name
    owners = {f.path: owner_repeat(model, f) for f in model.fields if f.kind != "repeat"}
    owners.update({f.path: owner for f, owner in extra_fields})
    for f in [*model.fields, *(f for f, _ in extra_fields)]:
        if f.kind == "repeat":
            if f.path not in found:
                found[f.path] = Table(f.path, f.name)
                order.append(found[f.path])
            continue
        if f.kind == "group":
            continue
        table = found.get(owners.get(f.path), root)
        prefix = table.repeat or base
        name = f.path[len(prefix) + 1:].replace("/", "-") if group_paths else f.name
        values = tuple((select_values or {}).get(f.path, ())) if is_select_multiple(f) else ()
        table.columns.append(Column(f.path, name, f.type, values))
    _name_files(model.form_id, order)
    return order


def _name_files(form_id: str, order: list[Table]) -> None:
    """`{formId}-{repeat}.csv`, with `~n` when two repeats share a name (Central's rule)."""
    totals: dict[str, int] = {}
    for t in order[1:]:
        totals[t.name] = totals.get(t.name, 0) + 1
    counts: dict[str, int] = {}
    for t in order[1:]:
        if totals[t.name] > 1:
            counts[t.name] = counts.get(t.name, 0) + 1
            t.name = f"{t.name}~{counts[t.name]}"
    for t in order:
        t.name = f"{form_id}.csv" if t.repeat is None else f"{form_id}-{t.name}.csv"

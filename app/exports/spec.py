"""What an export is, independent of any request: a plain `ExportSpec`, and the `Source` a
format's producer reads (the form, its model, the phone mask, the rows in chunks).

The HTTP routes, the background jobs (app/exports/jobs.py) and `flask export` all build an
ExportSpec and hand it to `app.exports.formats.produce`. The caller authorises: a spec with
`phones="clear"` means the clear numbers were already allowed and audited.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from functools import cached_property
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select

from app.exports import queries
from app.exports.queries import Filters, Row
from app.extensions import db
from app.models import Form, FormVersion
from app.services import personal_data
from forms import privacy
from forms.model import Field, FormModel

PHONE_POLICIES = ("hashed", "clear")
Progress = Callable[[int], None]


@dataclass(frozen=True)
class ExportSpec:
    """One export of one form's current submissions, as plain data (JSON round-trips it).

    - `form_id`: forms.id (not the xmlFormId).
    - `format`: a name in the registry (app/exports/formats.py): "csv.zip", "csv", ...
    - `filters`: our filters (dates, channel, review state, SDG, form version).
    - `odata_filter`: Central's `$filter` text, or None.
    - `attachments`, `group_paths`, `split_select_multiples`, `deleted_fields`: Central's CSV
      options (other formats use what applies to them).
    - `phones`: "hashed" (the keyed hash, the default) or "clear" (authorised and audited by
      whoever built the spec).
    - `language`: the form language for labels (SPSS/Stata/XLSX), or None for the default.
    - `formula_safe`: CSV cells a spreadsheet would run as a formula get a leading `'`.
    """

    form_id: int
    format: str
    filters: Filters = field(default_factory=Filters)
    odata_filter: str | None = None
    attachments: bool = True
    group_paths: bool = True
    split_select_multiples: bool = False
    deleted_fields: bool = False
    phones: str = "hashed"
    language: str | None = None
    formula_safe: bool = False

    def __post_init__(self) -> None:
        if self.phones not in PHONE_POLICIES:
            raise ValueError(f"phones must be one of {PHONE_POLICIES}, not {self.phones!r}")

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["filters"] = {k: (v.isoformat() if isinstance(v, datetime) else v)
                          for k, v in asdict(self.filters).items()}
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ExportSpec:
        raw = dict(data.get("filters") or {})
        for key in ("since", "until"):
            if raw.get(key):
                raw[key] = datetime.fromisoformat(raw[key])
        return cls(**{**data, "filters": Filters(**raw)})

    def with_format(self, name: str) -> ExportSpec:
        return replace(self, format=name)


def is_phone(f: Field) -> bool:
    """Personal data (a phone number or other), as forms.privacy classifies the field."""
    return privacy.classify(f) is not None


def phone_paths(model: FormModel) -> frozenset[str]:
    """Paths of the personal fields (phone numbers and other personal data)."""
    return personal_data.personal_paths(model)


def mask_for(policy: str) -> Callable[[str], str] | None:
    """The mask applied to personal fields' values: the keyed hash, or None for clear ones."""
    return None if policy == "clear" else personal_data.masker()


def odata_clause(text: str | None) -> ColumnElement[bool] | None:
    """Central's `$filter` on submissions as SQL (raises the 400/501 problem when bad)."""
    if text is None:
        return None
    from app.exports import odata_filter

    return odata_filter.to_sql(text, odata_filter.SUBMISSIONS)


class Source:
    """What every producer reads, built lazily from a spec. `chunks()` reports progress."""

    def __init__(self, spec: ExportSpec, progress: Progress | None = None) -> None:
        self.spec = spec
        self.progress = progress

    @cached_property
    def form(self) -> Form:
        form = db.session.get(Form, self.spec.form_id)
        if form is None or form.current_version_id is None:
            raise LookupError(f"form {self.spec.form_id} is not published")
        return form

    @cached_property
    def version(self) -> FormVersion:
        return db.session.get(FormVersion, self.form.current_version_id)

    @cached_property
    def model(self) -> FormModel:
        from sync.schema import schema_for

        version = self.version
        return schema_for(version.sha256, lambda: version.xml).model

    @cached_property
    def phone_paths(self) -> frozenset[str]:
        """Paths of phone fields in the current version (and dropped ones with deletedFields)."""
        paths = phone_paths(self.model)
        if self.spec.deleted_fields:
            paths |= {f.path for f, _ in self.extra_fields if is_phone(f)}
        return frozenset(paths)

    @property
    def mask(self) -> Callable[[str], str] | None:
        return mask_for(self.spec.phones)

    @cached_property
    def extra_fields(self) -> list[tuple[Field, str | None]]:
        """Fields of older published versions the current one dropped (`deletedFields=true`),
        with the repeat each belongs to."""
        from app.exports.columns import owner_repeat
        from sync.schema import schema_for

        form = self.form
        known = {f.path for f in self.model.fields}
        out = []
        for sha256, version_id in db.session.execute(
                select(FormVersion.sha256, FormVersion.id).where(
                    FormVersion.form_id == form.id, FormVersion.published_at.is_not(None),
                    FormVersion.id != form.current_version_id).order_by(FormVersion.id.desc())):
            old = schema_for(sha256, lambda i=version_id: db.session.get(FormVersion, i).xml).model
            for f in old.fields:
                if f.path not in known and f.kind not in ("group",):
                    known.add(f.path)
                    out.append((f, None if f.kind == "repeat" else owner_repeat(old, f)))
        return out

    @cached_property
    def versions(self) -> dict[int, str]:
        return queries.version_names(self.form.id)

    def query(self) -> Select:
        """The SELECT of the exported submissions, in Central's order (newest first)."""
        return queries.base_query(self.form.id, self.spec.filters,
                                  odata_clause(self.spec.odata_filter)).order_by(*queries.ORDER)

    def count(self) -> int:
        """How many submissions the export covers (one COUNT, no JSON read)."""
        query = queries.base_query(self.form.id, self.spec.filters,
                                   odata_clause(self.spec.odata_filter))
        return int(db.session.scalar(query.with_only_columns(func.count())) or 0)

    def chunks(self, *, extras: bool = True, report: bool = True) -> Iterator[list[Row]]:
        """The rows in chunks (queries.stream); each chunk is reported to `progress` unless
        `report=False` (a preliminary pass, e.g. collecting select-multiple values)."""
        for chunk in queries.stream(self.query(), self.versions, extras=extras):
            yield chunk
            if report and self.progress is not None:
                self.progress(len(chunk))

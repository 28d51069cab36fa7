"""The form facts cleaning needs (type, control, repeats), read once per form version."""
from __future__ import annotations

from dataclasses import dataclass

from defusedxml.ElementTree import fromstring

from app.queries import form_models
from forms import privacy
from forms.model import FormModel


@dataclass(frozen=True)
class FieldSpec:
    """One instance node: its bind type ("int", "geopoint"...) and body control, if any."""

    path: str
    type: str
    control: str | None
    readonly: bool
    constraint: str | None
    calculated: bool
    # "phone", "personal" or None, as forms.privacy classifies the field.
    personal: str | None = None

    @property
    def is_phone(self) -> bool:
        return self.personal == "phone"

    @property
    def is_free_text(self) -> bool:
        """A typed-in text answer (what the classifier reads); not notes, personal data or
        calculates."""
        return (self.type == "string" and self.control in ("input", "textarea")
                and not self.readonly and not self.calculated and self.personal is None)

    @property
    def is_multiple(self) -> bool:
        return self.control == "select"


@dataclass(frozen=True)
class FormSpec:
    fields: dict[str, FieldSpec]
    repeats: frozenset[str]


def local_path(path: str) -> str:
    """"/data/orx:meta/instanceID" -> "/data/meta/instanceID": instances vary in prefixes."""
    return "/".join(step.rsplit(":", 1)[-1] for step in path.split("/"))


def spec_for(sha256: str, version_id: int) -> FormSpec:
    """The version's FormSpec, from the one form cache (its XForm read only on a miss)."""
    return form_models.derived(sha256, form_models.xml_of(version_id), "pipeline.spec",
                               spec_of)


def spec_of(model: FormModel) -> FormSpec:
    """The facts cleaning needs, from a parsed form."""
    fields: dict[str, FieldSpec] = {}
    repeats: set[str] = set()
    for field in model.fields:
        path = local_path(field.path)
        if field.kind == "repeat":
            repeats.add(path)
            continue
        if field.kind == "group":
            continue
        readonly = (field.readonly or "").replace(" ", "") in ("true()", "true")
        personal = privacy.classify(field)
        fields[path] = FieldSpec(
            path=path, type=_bare(field.type or "string"), control=field.control,
            readonly=readonly, constraint=field.constraint,
            calculated=bool(field.calculate), personal=personal.kind if personal else None)
    return FormSpec(fields=fields, repeats=frozenset(repeats))


def _bare(type_: str) -> str:
    """"xsd:int" -> "int"; JavaRosa accepts both spellings."""
    return type_.rsplit(":", 1)[-1]


def instance_root(xml: str):
    """The submission's instance element (defusedxml: no DTD, no entities)."""
    return fromstring(xml.encode("utf-8"), forbid_dtd=True)

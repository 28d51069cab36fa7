"""OData v4 as ODK Central serves a form (lib/formats/odata.js): service document, $metadata,
and the JSON rows of `Submissions` and its repeat tables."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from urllib.parse import quote
from xml.sax.saxutils import quoteattr

from app.exports.columns import owner_repeat
from app.exports.queries import Row
from forms.model import Field, FormModel

EDM = {"int": "Edm.Int64", "decimal": "Edm.Decimal", "geopoint": "Edm.GeographyPoint",
       "date": "Edm.Date", "dateTime": "Edm.DateTimeOffset", "boolean": "Edm.Boolean"}
SYSTEM = ("submissionDate", "updatedAt", "deletedAt", "submitterId", "submitterName",
          "attachmentsPresent", "attachmentsExpected", "status", "reviewState", "deviceId",
          "edits", "formVersion")


def table_name(model: FormModel, repeat: Field) -> str:
    """`Submissions.grp.rep` for the repeat at /data/grp/rep."""
    return "Submissions." + ".".join(repeat.path.split("/")[2:])


def repeat_for_table(model: FormModel, name: str) -> Field | None:
    for f in model.repeats():
        if table_name(model, f) == name:
            return f
    return None


def service_document(model: FormModel, base: str) -> dict:
    tables = ["Submissions", *(table_name(model, r) for r in model.repeats())]
    return {"@odata.context": f"{base}/$metadata",
            "value": [{"name": t, "kind": "EntitySet", "url": t} for t in tables]}


def metadata(model: FormModel) -> str:
    """The EDMX: an entity type per table, a complex type per group."""
    ns = f"org.opendatakit.user.{model.form_id}"
    kids = _children(model)
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<edmx:Edmx xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx" Version="4.0">',
           "<edmx:DataServices>",
           '<Schema xmlns="http://docs.oasis-open.org/odata/ns/edm" '
           'Namespace="org.opendatakit.submission">',
           '<ComplexType Name="metadata">',
           *(f'<Property Name="{s}" Type="{_system_type(s)}"/>' for s in SYSTEM),
           "</ComplexType></Schema>",
           f'<Schema xmlns="http://docs.oasis-open.org/odata/ns/edm" Namespace="{ns}">']

    def props(parent: str | None, type_name: str) -> list[str]:
        lines = []
        for f in kids.get(parent, []):
            if f.kind == "repeat":
                lines.append(f'<NavigationProperty Name="{f.name}" '
                             f'Type="Collection({ns}.{table_name(model, f)})"/>')
            elif f.kind == "group":
                lines.append(f'<Property Name="{f.name}" Type="{ns}.{type_name}.{f.name}"/>')
            else:
                lines.append(f'<Property Name="{f.name}" Type="{EDM.get(f.type, "Edm.String")}"/>')
        return lines

    def complex_types(parent: str | None, type_name: str) -> None:
        for f in kids.get(parent, []):
            if f.kind == "group":
                out.append(f'<ComplexType Name="{type_name}.{f.name}">')
                out.extend(props(f.path, f"{type_name}.{f.name}"))
                out.append("</ComplexType>")
                complex_types(f.path, f"{type_name}.{f.name}")

    out += ['<EntityType Name="Submissions">', '<Key><PropertyRef Name="__id"/></Key>',
            '<Property Name="__id" Type="Edm.String"/>',
            '<Property Name="__system" Type="org.opendatakit.submission.metadata"/>',
            *props(None, "Submissions"), "</EntityType>"]
    complex_types(None, "Submissions")
    for repeat in model.repeats():
        name = table_name(model, repeat)
        out += [f'<EntityType Name="{name}">', '<Key><PropertyRef Name="__id"/></Key>',
                '<Property Name="__id" Type="Edm.String"/>',
                f'<Property Name="{parent_id_key(model, repeat)}" Type="Edm.String"/>',
                *props(repeat.path, name), "</EntityType>"]
        complex_types(repeat.path, name)
    out += [f"<EntityContainer Name={quoteattr(model.form_id)}>",
            f'<EntitySet Name="Submissions" EntityType="{ns}.Submissions"/>',
            *(f'<EntitySet Name="{table_name(model, r)}" EntityType="{ns}.{table_name(model, r)}"/>'
              for r in model.repeats()),
            "</EntityContainer></Schema></edmx:DataServices></edmx:Edmx>"]
    return "\n".join(out)


def _system_type(name: str) -> str:
    if name in ("submissionDate", "updatedAt", "deletedAt"):
        return "Edm.DateTimeOffset"
    return "Edm.Int64" if name in ("attachmentsPresent", "attachmentsExpected", "edits") \
        else "Edm.String"


def _children(model: FormModel) -> dict[str | None, list[Field]]:
    top = "/" + model.root_name
    kids: dict[str | None, list[Field]] = {}
    for f in model.fields:
        kids.setdefault(None if f.parent in (None, top) else f.parent, []).append(f)
    return kids


def parent_id_key(model: FormModel, repeat: Field) -> str:
    """`__Submissions-id`, or `__Submissions-outer-id` under an enclosing repeat (Central)."""
    outer = owner_repeat(model, repeat)
    if outer is None:
        return "__Submissions-id"
    return "__Submissions-" + "-".join(outer.path.split("/")[2:]) + "-id"


def row_id(key: str) -> str:
    """A repeat row's `__id`: a stable hash of its Briefcase key."""
    return hashlib.sha1(key.encode()).hexdigest()


@dataclass
class Shaper:
    """Turns stored rows into OData JSON objects for one form."""

    model: FormModel
    expand: bool = False
    wkt: bool = False
    mask: object = None
    phone_paths: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        self.kids = _children(self.model)
        self._plans: dict[str | None, list[tuple]] = {}

    def value(self, f: Field, raw):
        return self._converter(f)(raw)

    def _converter(self, f: Field):
        """The function from a stored value to its OData value, chosen once per field."""
        mask = self.mask if self.mask is not None and f.path in self.phone_paths else None
        kind = f.type if f.type in ("int", "decimal", "geopoint") else None

        def convert(raw):
            if raw is None or raw == "":
                return None
            text = str(raw)
            if mask is not None:
                text = mask(text)
            if kind is None:
                return text
            try:
                if kind == "int":
                    return int(text)
                if kind == "decimal":
                    number = float(text)
                    return int(number) if number.is_integer() and "." not in text else number
            except ValueError:
                return text
            return self.point(text)

        if kind is None and mask is None:
            def plain(raw):
                return None if raw is None or raw == "" else str(raw)
            return plain
        return convert

    def point(self, text: str):
        parts = text.split()
        try:
            lat, lon, *rest = [float(p) for p in parts]
        except ValueError:
            return text
        coords = [lon, lat, *rest[:1]]
        if self.wkt:
            return "POINT (" + " ".join(_num(c) for c in coords) + ")"
        point: dict = {"type": "Point", "coordinates": coords}
        if len(rest) > 1:
            point["properties"] = {"accuracy": rest[1]}
        return point

    def _plan(self, parent: str | None) -> list[tuple]:
        """Per child of `parent`: (kind, name, field, converter or navigation-link suffix)."""
        plan = self._plans.get(parent)
        if plan is None:
            plan = []
            for f in self.kids.get(parent, []):
                if f.kind == "group":
                    plan.append(("group", f.name, f, None))
                elif f.kind == "repeat":
                    suffix = "/".join(f.path.split("/")[len(self._base(parent)):])
                    plan.append(("repeat", f.name, f, suffix))
                else:
                    plan.append(("leaf", f.name, f.path, self._converter(f)))
            self._plans[parent] = plan
        return plan

    def _object(self, parent: str | None, values: dict, repeats: dict | None, key: str,
                link: str) -> dict:
        """`key` is the row's Briefcase key: repeat rows name it as their parent key.
        `repeats` (rekeyed) is needed only with $expand."""
        out: dict = {}
        get = values.get
        for kind, name, target, extra in self._plan(parent):
            if kind == "leaf":
                out[name] = extra(get(target))
            elif kind == "group":
                out[name] = self._object(target.path, values, repeats, key, link)
            elif self.expand:
                out[name] = [self.repeat_row(target, sub, repeats, link)
                             for sub in (repeats or {}).get(target.path, ())
                             if sub.get("__parent_key") == key]
            else:
                out[f"{name}@odata.navigationLink"] = f"{link}/{extra}"
        return out

    def _base(self, parent: str | None) -> list[str]:
        owner = parent
        while owner is not None and self.model.field(owner).kind != "repeat":
            owner = self.model.field(owner).parent
            if owner == "/" + self.model.root_name:
                owner = None
        return (owner or "/" + self.model.root_name).split("/")

    def submission(self, row: Row) -> dict:
        data = row.data
        repeats = _rekeyed(data, row.instance_id) if self.expand else None
        link = f"Submissions('{quote(row.instance_id, safe='')}')"
        out = {"__id": row.instance_id}
        out.update(self._object(None, data.get("root") or {}, repeats, row.instance_id, link))
        out["__system"] = system(row)
        return out

    def repeat_row(self, repeat: Field, sub: dict, repeats: dict, link: str) -> dict:
        key = str(sub.get("__key"))
        parent = str(sub.get("__parent_key"))
        outer = owner_repeat(self.model, repeat)
        out = {"__id": row_id(key)}
        out.update(self._object(repeat.path, sub, repeats, key,
                                f"{link}/{repeat.name}('{row_id(key)}')"))
        out[parent_id_key(self.model, repeat)] = parent if outer is None else row_id(parent)
        return out

    def repeat_rows(self, repeat: Field, row: Row):
        repeats = _rekeyed(row.data, row.instance_id)
        link = f"Submissions('{quote(row.instance_id, safe='')}')"
        for sub in repeats.get(repeat.path, ()):
            yield self.repeat_row(repeat, sub, repeats, link)


def _rekeyed(data: dict, first: str) -> dict:
    current = data.get("instance_id") or first
    repeats = data.get("repeats") or {}
    if current == first:
        return repeats
    def fix(k):
        return first + k[len(current):] if isinstance(k, str) and k.startswith(current) else k
    return {path: [{**sub, "__key": fix(sub.get("__key")),
                    "__parent_key": fix(sub.get("__parent_key"))} for sub in subs]
            for path, subs in repeats.items()}


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


def system(row: Row) -> dict:
    from app.web.api.common import iso

    return {"submissionDate": iso(row.created_at), "updatedAt": iso(row.updated_at),
            "deletedAt": None,
            "submitterId": None if row.submitter_id is None else str(row.submitter_id),
            "submitterName": row.submitter_name, "attachmentsPresent": row.attachments_present,
            "attachmentsExpected": row.attachments_expected, "status": None,
            "reviewState": row.review_state, "deviceId": row.device_id, "edits": row.edits,
            "formVersion": row.form_version}

"""`submissions.geojson`: a GeoJSON FeatureCollection as ODK Central (≥ 2025.3) serves it
(lib/model/query/geo-extracts.js and the odk2geojson_* SQL functions of its migrations).

- One Feature per submission that has valid geodata in the chosen field: `id` is the
  submission's instanceID (the first one, even after edits), `geometry` the value.
- The field: `fieldpath` ("/group/field", relative to the instance root as Central writes it)
  or, by default, the first geopoint/geotrace/geoshape field outside any repeat of the
  submission's own form version; `properties` is then `{"fieldpath": ...}`, and `null` when the
  request named the field.
- geopoint → Point, geotrace → LineString, geoshape → Polygon (first point = last, ≥ 4 points);
  a field inside a repeat → MultiPoint / MultiLineString / MultiPolygon of its valid values.
- ODK's "lat lon [alt [accuracy]]" becomes [lon, lat(, alt)]; accuracy is dropped; a point
  out of range or malformed is no geometry (a trace or shape with one is none at all).
- Numbers are written as sent (Central writes PostgreSQL numerics), e.g. 1.10 stays 1.10.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from decimal import Decimal

from app.exports.queries import Row
from forms.flatten import repeat_of
from forms.model import Field, FormModel

MIMETYPE = "application/json"  # what Central answers with
GEO_TYPES = ("geopoint", "geotrace", "geoshape")
_POINT = re.compile(r"^\s*(-?(?:0|[1-9]\d?)(?:\.\d+)?)\s+(-?(?:0|[1-9]\d{0,2})(?:\.\d+)?)"
                    r"(?:\s+(-?(?:0|[1-9]\d*)(?:\.\d+)?))?(?:\s+(?:(?:0|[1-9]\d*)(?:\.\d+)?))?\s*$")
_SPLIT = re.compile(r"\s*;\s*")


class Raw(str):
    """A number's text, written into the JSON as it is."""


def _number(text: str) -> Raw:
    value = Decimal(text)
    if value == 0:
        value = abs(value)  # PostgreSQL's numeric has no negative zero
    return Raw(format(value, "f"))


def point(text: str) -> list[Raw] | None:
    """[lon, lat] or [lon, lat, alt] of an ODK geopoint, None when it is not a valid one."""
    match = _POINT.match(text)
    if match is None:
        return None
    lat, lon, alt = match.groups()
    if not -90 <= Decimal(lat) <= 90 or not -180 <= Decimal(lon) <= 180:
        return None
    coords = [_number(lon), _number(lat)]
    return coords if alt is None else [*coords, _number(alt)]


def line(text: str, min_length: int = 2) -> list | None:
    points = [point(p) for p in _SPLIT.split(text)]
    if any(p is None for p in points) or len(points) < min_length:
        return None
    return points


def polygon(text: str) -> list | None:
    ring = line(text, 4)
    if ring is None or ring[0] != ring[-1]:
        return None
    return [ring]


_SINGLE = {"geopoint": ("Point", point), "geotrace": ("LineString", line),
           "geoshape": ("Polygon", polygon)}
_MULTI = {"geopoint": "MultiPoint", "geotrace": "MultiLineString", "geoshape": "MultiPolygon"}


def geometry(odk_type: str, repeated: bool, values: list[str]) -> dict | None:
    """Central's odk2geojson_dispatch: the geometry of a field's non-empty values."""
    if not values:
        return None
    kind, parse = _SINGLE[odk_type]
    if not repeated:
        coords = parse(values[0])
        return None if coords is None else {"type": kind, "coordinates": coords}
    parts = [c for c in (parse(v) for v in values) if c is not None]
    return {"type": _MULTI[odk_type], "coordinates": parts} if parts else None


def central_path(model: FormModel, f: Field) -> str:
    """A field's path as Central names it: without the instance root ("/grp/location")."""
    return f.path[len(model.root_name) + 1:]


def default_field(model: FormModel) -> Field | None:
    """The first geo field not in any repeat (Central's `is_default`)."""
    for f in model.fields:
        if f.type in GEO_TYPES and f.kind != "group" and repeat_of(model, f) is None:
            return f
    return None


def find_field(model: FormModel, fieldpath: str) -> Field | None:
    """The geo field a `fieldpath` names ("/grp/x" as Central, or our "/data/grp/x")."""
    for path in (f"/{model.root_name}{fieldpath}", fieldpath):
        if model.has_field(path):
            f = model.field(path)
            return f if f.type in GEO_TYPES else None
    return None


def _values(row: Row, model: FormModel, f: Field) -> tuple[bool, list[str]]:
    owner = repeat_of(model, f)
    if owner is None:
        value = (row.data.get("root") or {}).get(f.path)
        return False, [value] if value else []
    subs = (row.data.get("repeats") or {}).get(owner) or []
    return True, [s[f.path] for s in subs if s.get(f.path)]


def feature(row: Row, model: FormModel, f: Field, named: bool,
            current_id: bool = False) -> dict | None:
    repeated, values = _values(row, model, f)
    shape = geometry(f.type, repeated, [str(v) for v in values])
    if shape is None:
        return None
    key = (row.data.get("instance_id") or row.instance_id) if current_id else row.instance_id
    return {"type": "Feature", "id": key, "geometry": shape,
            "properties": None if named else {"fieldpath": central_path(model, f)}}


def _dump(value) -> str:
    if isinstance(value, Raw):
        return str(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{_dump(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_dump(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def version_models(form_id: int) -> dict[str, FormModel]:
    """Every published version's model of a form, by version name."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import FormVersion
    from sync.schema import schema_for

    out = {}
    for name, sha256, version_id in db.session.execute(
            select(FormVersion.version, FormVersion.sha256, FormVersion.id).where(
                FormVersion.form_id == form_id, FormVersion.published_at.is_not(None))):
        out[name] = schema_for(sha256, lambda i=version_id: db.session.get(FormVersion, i).xml
                               ).model
    return out


def write_geojson(models: dict[str, FormModel], current: FormModel,
                  chunks: Iterable[list[Row]], fieldpath: str | None = None,
                  limit: int | None = None, current_ids: bool = False) -> Iterator[bytes]:
    """The FeatureCollection's bytes. `models` maps a version name to its model (each
    submission's default field is that of its own version; `current` when unknown);
    `fieldpath` names the field in every version; `limit` caps the submissions read;
    `current_ids`: features carry the current version's instanceID (Central's
    single-submission GeoJSON) rather than the submission's first."""
    fields: dict[int, Field | None] = {}

    def field_of(model: FormModel) -> Field | None:
        if id(model) not in fields:
            fields[id(model)] = (default_field(model) if fieldpath is None
                                 else find_field(model, fieldpath))
        return fields[id(model)]

    yield b'{"type":"FeatureCollection","features":['
    first, seen = True, 0
    for chunk in chunks:
        parts = []
        for row in chunk:
            if limit is not None and seen >= limit:
                break
            seen += 1
            model = models.get(row.form_version, current)
            f = field_of(model)
            found = None if f is None else feature(row, model, f, fieldpath is not None,
                                                   current_ids)
            if found is not None:
                parts.append(_dump(found))
        if parts:
            yield (("" if first else ",") + ",".join(parts)).encode("utf-8")
            first = False
        if limit is not None and seen >= limit:
            break
    yield b"]}"

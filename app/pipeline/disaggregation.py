"""The standard SDG disaggregation keys of a submission, from the questions a form marks."""
from __future__ import annotations

from typing import Any

from app.pipeline.clean import iter_values
from forms.disaggregation import five_year_band, normalise_sex

KEYS = ("sex", "age", "location")


def age_group(years: int) -> str:
    """Five-year bands as the UN Statistics Division reports them, 80+ at the top."""
    return five_year_band(years)


def disaggregate(record: dict[str, Any], marks: dict[str, str]) -> dict[str, Any]:
    """{"sex", "age", "age_group", "location": {"admin_area", "geopoint"}} for what was marked."""
    out: dict[str, Any] = {}
    if not marks:
        return out
    first: dict[str, Any] = {}
    for path, value in iter_values(record):
        if value is not None:
            first.setdefault(path, value)
    location: dict[str, Any] = {}
    for path, key in marks.items():
        value = first.get(path)
        if value is None:
            continue
        name = path.rsplit("/", 1)[-1]
        if key == "sex":
            out["sex"] = normalise_sex(value)
        elif key == "age":
            out["age"] = value
            if isinstance(value, int):
                out["age_group"] = age_group(value)
            elif isinstance(value, float) and value.is_integer():
                out["age_group"] = age_group(int(value))
            else:
                out["age_group"] = str(value)  # a select of bands, kept as the form names it
        elif key == "location":
            if isinstance(value, dict) and "lat" in value:
                location["geopoint"] = value
            else:
                location.setdefault("admin_area", {})[name] = value
    if location:
        out["location"] = location
    return out

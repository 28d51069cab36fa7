"""What an indicator declares, read from API JSON or an XLSForm `indicators` row, checked.

The JSON shape is the API contract (`code`, `sdg`, `kind`, `numerator`, `denominator`,
`disaggregateBy`, `period`, `reviewStates`, `labels`); `IndicatorSpec.to_json` writes it
back in its canonical form. Nothing here looks at a form: `bind` checks the expressions and
fields against one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from forms.review import REVIEW_STATES, ReviewState
from forms.sdg.catalogue import is_known_code, normalise_code, split_code

KINDS = ("proportion", "count", "mean")
PERIOD_UNITS = ("month", "quarter", "year")
DEFAULT_REVIEW_STATES = tuple(s for s in REVIEW_STATES if s != ReviewState.REJECTED)
# Dimensions with a meaning of their own; any other name is a select_one question.
STANDARD_DIMENSIONS = ("sex", "age", "area", "channel")
MAX_DIMENSIONS = 5
DEFAULT_AGE_CUTS = (15, 25, 50, 65)
DEFAULT_PERIOD = "quarter"
# Keys of a series point: a dimension may not be called like one of them.
RESERVED_NAMES = frozenset({"period", "value", "numerator", "denominator", "n", "low", "high",
                            "suppressed", "indicator", "points"})
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_FIELD_REF = re.compile(r"^\$\{([A-Za-z_][\w.-]*)\}$")


class IndicatorError(ValueError):
    """A declaration is wrong; `field` names the JSON field (e.g. "disaggregateBy")."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Dimension:
    """One disaggregation: its name in `by=` and in points, the question it reads (None:
    the form's marked question for sex/age/area, nothing for channel), age cut points."""

    name: str
    field: str | None = None
    cuts: tuple[int, ...] = ()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "field": self.field}
        if self.name == "age":
            out["cuts"] = list(self.cuts)
        return out


@dataclass(frozen=True)
class IndicatorSpec:
    """One indicator as declared (expressions still use ${name} references)."""

    code: str
    sdg: str
    kind: str
    numerator: str
    denominator: str | None = None
    dimensions: tuple[Dimension, ...] = ()
    period_unit: str = DEFAULT_PERIOD
    period_field: str | None = None
    review_states: tuple[str, ...] = DEFAULT_REVIEW_STATES
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def goal(self) -> int:
        return split_code(self.sdg)[0]

    def dimension(self, name: str) -> Dimension | None:
        return next((d for d in self.dimensions if d.name == name), None)

    def to_json(self) -> dict[str, Any]:
        """The API's canonical shape (without `form`, which the caller knows)."""
        return {
            "code": self.code, "sdg": self.sdg, "kind": self.kind,
            "numerator": self.numerator, "denominator": self.denominator,
            "disaggregateBy": [d.to_json() for d in self.dimensions],
            "period": {"unit": self.period_unit, "field": self.period_field},
            "reviewStates": list(self.review_states), "labels": dict(self.labels),
        }


def spec_from_json(body: dict[str, Any], *, partial_of: IndicatorSpec | None = None
                   ) -> IndicatorSpec:
    """Read an API body; with `partial_of` (PATCH) absent fields keep that spec's values."""
    def get(name: str, default: Any) -> Any:
        return body[name] if name in body else default

    base = partial_of
    code = _code(get("code", base.code if base else None))
    sdg = _sdg(get("sdg", base.sdg if base else None))
    kind = _kind(get("kind", base.kind if base else None))
    numerator = _expression("numerator", get("numerator", base.numerator if base else None),
                            required=True)
    denominator = _expression("denominator",
                              get("denominator", base.denominator if base else None),
                              required=False)
    if "disaggregateBy" in body or base is None:
        dimensions = dimensions_from_json(body.get("disaggregateBy") or [])
    else:
        dimensions = base.dimensions
    if "period" in body or base is None:
        unit, period_field = _period(body.get("period"))
    else:
        unit, period_field = base.period_unit, base.period_field
    if "reviewStates" in body or base is None:
        states = review_states(body.get("reviewStates"))
    else:
        states = base.review_states
    labels = _labels(get("labels", base.labels if base else {}))
    return IndicatorSpec(code=code, sdg=sdg, kind=kind, numerator=numerator,
                         denominator=denominator, dimensions=dimensions, period_unit=unit,
                         period_field=period_field, review_states=states, labels=labels)


def _code(value: Any) -> str:
    if not isinstance(value, str) or not _CODE.match(value.strip()):
        raise IndicatorError("code", "code must be 1-64 letters, digits, '.', '_' or '-' "
                                     f"(an SDG code such as 5.2.2 or your own); got {value!r}.")
    return value.strip()


def _sdg(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise IndicatorError("sdg", "sdg is required: the SDG indicator (or target or goal) "
                                    "this indicator reports on or is a proxy for, e.g. 5.2.2.")
    code = normalise_code(value)
    if not is_known_code(code):
        raise IndicatorError("sdg", f"sdg {value!r} is not a goal, target or indicator of "
                                    "the SDG catalogue.")
    return code


def _kind(value: Any) -> str:
    if value not in KINDS:
        raise IndicatorError("kind", f"kind must be one of {', '.join(KINDS)}; got {value!r}.")
    return str(value)


def _expression(name: str, value: Any, *, required: bool) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise IndicatorError(name, f"{name} is required: an XLSForm expression such as "
                                       "${harassed} = 'yes'.")
        return None
    if not isinstance(value, str) or len(value) > 2000:
        raise IndicatorError(name, f"{name} must be an XLSForm expression of at most 2000 "
                                   "characters.")
    return value.strip()


def _field_name(where: str, value: Any) -> str | None:
    """A question named as `name` or `${name}`; None when absent."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise IndicatorError(where, f"{where} must name a question; got {value!r}.")
    text = value.strip()
    m = _FIELD_REF.match(text)
    name = m.group(1) if m else text
    if not re.match(r"^[A-Za-z_][\w.-]*$", name):
        raise IndicatorError(where, f"{where} must name a question (name or ${{name}}); "
                                    f"got {value!r}.")
    return name


def dimensions_from_json(items: Any) -> tuple[Dimension, ...]:
    """`["sex", {"name": "age", "cuts": [15, 25]}, "channel", "water_source"]`."""
    if not isinstance(items, list):
        raise IndicatorError("disaggregateBy", "disaggregateBy must be a list of dimensions.")
    if len(items) > MAX_DIMENSIONS:
        raise IndicatorError("disaggregateBy", f"at most {MAX_DIMENSIONS} disaggregations.")
    out: list[Dimension] = []
    for item in items:
        if isinstance(item, str):
            ref = _field_name("disaggregateBy", item)
            name = ref.lower() if ref else ""
            dim = Dimension(name=name, field=None if name in STANDARD_DIMENSIONS else ref)
        elif isinstance(item, dict):
            name = item.get("name") or _field_name("disaggregateBy", item.get("field"))
            if not isinstance(name, str):
                raise IndicatorError("disaggregateBy", f"a dimension needs a name: {item!r}.")
            dim = Dimension(name=name.strip().lower(),
                            field=_field_name("disaggregateBy", item.get("field")),
                            cuts=_cuts(item.get("cuts")))
        else:
            raise IndicatorError("disaggregateBy", f"unexpected dimension {item!r}.")
        out.append(_checked_dimension(dim))
    names = [d.name for d in out]
    if len(set(names)) != len(names):
        raise IndicatorError("disaggregateBy", f"a dimension is named twice: {names}.")
    return tuple(out)


def _checked_dimension(dim: Dimension) -> Dimension:
    if not _NAME.match(dim.name) or dim.name in RESERVED_NAMES:
        raise IndicatorError("disaggregateBy", f"{dim.name!r} cannot name a dimension: use "
                             "lower-case letters, digits and '_', and none of "
                             f"{', '.join(sorted(RESERVED_NAMES))}.")
    if dim.name == "channel" and dim.field:
        raise IndicatorError("disaggregateBy", "channel is how a submission arrived; it "
                                               "reads no question.")
    if dim.name != "age" and dim.cuts:
        raise IndicatorError("disaggregateBy", "cuts belong to the age dimension only.")
    if dim.name == "age" and not dim.cuts:
        return Dimension(dim.name, dim.field, DEFAULT_AGE_CUTS)
    return dim


def _cuts(value: Any) -> tuple[int, ...]:
    if value is None or value == "" or value == []:
        return ()
    if isinstance(value, str):
        value = [v for v in re.split(r"[\s,;]+", value) if v]
    if not isinstance(value, list):
        raise IndicatorError("disaggregateBy", "age cuts must be a list of whole numbers.")
    try:
        cuts = tuple(int(float(v)) for v in value)
    except (TypeError, ValueError):
        raise IndicatorError("disaggregateBy", f"age cuts must be whole numbers: {value!r}."
                             ) from None
    if any(c < 0 or c > 150 for c in cuts) or list(cuts) != sorted(set(cuts)):
        raise IndicatorError("disaggregateBy", "age cuts must rise strictly, from 0 to 150: "
                                               f"{list(cuts)}.")
    return cuts


def _period(value: Any) -> tuple[str, str | None]:
    if value is None or value == "":
        return DEFAULT_PERIOD, None
    if isinstance(value, str):
        value = {"unit": value}
    if not isinstance(value, dict):
        raise IndicatorError("period", "period must be month, quarter or year, or "
                                       '{"unit": ..., "field": "a date question"}.')
    unit = value.get("unit") or DEFAULT_PERIOD
    if unit not in PERIOD_UNITS:
        raise IndicatorError("period", f"period unit must be one of {', '.join(PERIOD_UNITS)}; "
                                       f"got {unit!r}.")
    return unit, _field_name("period", value.get("field"))


def review_states(value: Any) -> tuple[str, ...]:
    """Which review states count; absent: all but rejected."""
    if value is None or value == "" or value == []:
        return DEFAULT_REVIEW_STATES
    if isinstance(value, str):
        value = [v for v in re.split(r"[\s,;]+", value) if v]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise IndicatorError("reviewStates", "reviewStates must be a list of review states.")
    unknown = [v for v in value if v not in REVIEW_STATES]
    if unknown:
        raise IndicatorError("reviewStates", f"unknown review state(s) {unknown}; use "
                                             f"{', '.join(REVIEW_STATES)}.")
    return tuple(s for s in REVIEW_STATES if s in value)


def _labels(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if isinstance(value, str):
        return {"": value.strip()}
    if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise IndicatorError("labels", 'labels must map languages to text: {"en": "..."}.')
    if any(len(v) > 500 for v in value.values()):
        raise IndicatorError("labels", "a label may have at most 500 characters.")
    return {k.strip(): v.strip() for k, v in value.items() if v.strip()}


def language_key(name: str) -> str:
    """An XLSForm language name as a label key: "English (en)" -> "en"."""
    m = re.search(r"\(([A-Za-z-]{2,10})\)\s*$", name)
    return m.group(1).lower() if m else name.strip()

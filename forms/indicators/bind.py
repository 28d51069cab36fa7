"""Check an indicator against its form and compile it: ${name} references become instance
paths, expressions compile with our XPath engine, dimensions find their questions."""

from __future__ import annotations

import re
from dataclasses import dataclass

from forms.indicators.spec import Dimension, IndicatorError, IndicatorSpec
from forms.model import Field, FormModel
from forms.xpath import Expr, XPathSyntaxError, compile_expr

_REF = re.compile(r"\$\{([^}]*)\}")
# The form's `disaggregation` marks that stand in for a dimension without a field.
_MARK_OF = {"sex": "sex", "age": "age", "area": "location"}
_DATE_TYPES = {"date", "dateTime"}
_NUMBER_TYPES = {"int", "integer", "decimal"}


@dataclass(frozen=True)
class BoundDimension:
    """A dimension and where its value comes from (path None: the submission's channel)."""

    dimension: Dimension
    path: str | None
    expr: Expr | None
    numeric: bool


@dataclass(frozen=True)
class BoundIndicator:
    """An indicator ready to evaluate over instances of one form version."""

    spec: IndicatorSpec
    numerator: Expr
    denominator: Expr | None
    dimensions: tuple[BoundDimension, ...]
    period: Expr | None
    geopoint: Expr | None


def bind(spec: IndicatorSpec, model: FormModel, marks: dict[str, str] | None = None
         ) -> BoundIndicator:
    """Compile `spec` for `model`; IndicatorError names the field at fault and why."""
    fields = _by_name(model)
    repeats = {f.path for f in model.fields if f.kind == "repeat"}
    marks = marks or {}
    numerator = _compile("numerator", spec.numerator, fields)
    denominator = _compile("denominator", spec.denominator, fields) \
        if spec.denominator else None
    dims = tuple(_dimension(d, fields, repeats, marks) for d in spec.dimensions)
    period = None
    if spec.period_field:
        found = _field("period", spec.period_field, fields)
        if found.type not in _DATE_TYPES:
            raise IndicatorError("period", f"the period's date question ${{{found.name}}} is "
                                           f"a {found.type}, not a date or dateTime.")
        _outside_repeats("period", found, repeats)
        period = compile_expr(found.path)
    return BoundIndicator(spec, numerator, denominator, dims, period,
                          _geopoint(model, repeats, marks))


def field_names(expression: str) -> list[str]:
    """The ${name} references of an expression, in order."""
    return _REF.findall(expression)


def _by_name(model: FormModel) -> dict[str, Field]:
    out: dict[str, Field] = {}
    for f in model.fields:
        out.setdefault(f.name, f)
    return out


def _field(where: str, name: str, fields: dict[str, Field]) -> Field:
    found = fields.get(name)
    if found is None:
        raise IndicatorError(where, f"the form has no question named {name!r}.")
    return found


def _compile(where: str, expression: str, fields: dict[str, Field]) -> Expr:
    def path(m: re.Match) -> str:
        return _field(where, m.group(1).strip(), fields).path

    resolved = _REF.sub(path, expression)
    try:
        return compile_expr(resolved)
    except XPathSyntaxError as error:
        raise IndicatorError(where, f"{where} is not a valid expression: {error}") from None
    except RecursionError:
        raise IndicatorError(where, f"{where} is nested too deeply.") from None


def _outside_repeats(where: str, found: Field, repeats: set[str]) -> None:
    if any(found.path.startswith(r + "/") for r in repeats):
        raise IndicatorError(where, f"${{{found.name}}} is inside a repeat: it has many "
                                    "values per submission, so it cannot place one.")


def _dimension(dim: Dimension, fields: dict[str, Field], repeats: set[str],
               marks: dict[str, str]) -> BoundDimension:
    if dim.name == "channel":
        return BoundDimension(dim, None, None, False)
    found = _dimension_field(dim, fields, marks)
    _outside_repeats("disaggregateBy", found, repeats)
    numeric = found.type in _NUMBER_TYPES
    if dim.name == "age":
        if not numeric and found.control != "select1":
            raise IndicatorError("disaggregateBy", f"age reads ${{{found.name}}}, which is "
                                 "neither a number nor a select_one of age bands.")
    elif dim.name in ("sex", "area"):
        if found.control not in ("select1", "input") or numeric:
            raise IndicatorError("disaggregateBy", f"{dim.name} reads ${{{found.name}}}: "
                                 "it must be a select_one or a text question.")
    elif found.control != "select1":
        raise IndicatorError("disaggregateBy", f"${{{found.name}}} is not a select_one "
                             "question; only select_one questions can disaggregate.")
    return BoundDimension(dim, found.path, compile_expr(found.path),
                          numeric and dim.name == "age")


def _dimension_field(dim: Dimension, fields: dict[str, Field], marks: dict[str, str]) -> Field:
    if dim.field:
        return _field("disaggregateBy", dim.field, fields)
    mark = _MARK_OF.get(dim.name)
    by_path = {f.path: f for f in fields.values()}
    marked = [by_path[p] for p, key in marks.items() if key == mark and p in by_path
              and by_path[p].type != "geopoint"]
    if marked:
        return marked[0]
    if dim.name in fields:
        return fields[dim.name]
    raise IndicatorError("disaggregateBy", f"{dim.name} needs a question: mark one "
                         f"'{mark or dim.name}' in the survey's disaggregation column, or "
                         f"name it ({dim.name}=${{question}}).")


def _geopoint(model: FormModel, repeats: set[str], marks: dict[str, str]) -> Expr | None:
    """Where a submission is on a map: the geopoint marked location, else the first one."""
    points = [f for f in model.fields if f.type == "geopoint"
              and not any(f.path.startswith(r + "/") for r in repeats)]
    marked = [f for f in points if marks.get(f.path) == "location"]
    chosen = (marked or points or [None])[0]
    return compile_expr(chosen.path) if chosen is not None else None

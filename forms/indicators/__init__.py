"""Indicators over a form's submissions: declared (API JSON or an XLSForm `indicators`
sheet), checked against the form, and evaluated per instance by our own XPath engine."""

from forms.indicators.bind import BoundIndicator, bind
from forms.indicators.evaluate import Contribution, EvaluationError, contribution, parents_of
from forms.indicators.sheet import declared_in_workbook
from forms.indicators.spec import (
    DEFAULT_REVIEW_STATES,
    KINDS,
    PERIOD_UNITS,
    REVIEW_STATES,
    Dimension,
    IndicatorError,
    IndicatorSpec,
    spec_from_json,
)

__all__ = [
    "DEFAULT_REVIEW_STATES", "KINDS", "PERIOD_UNITS", "REVIEW_STATES",
    "BoundIndicator", "Contribution", "Dimension", "EvaluationError", "IndicatorError",
    "IndicatorSpec", "bind", "contribution", "declared_in_workbook", "parents_of",
    "spec_from_json",
]

"""Indicators compiled for the form versions their submissions were made with, cached."""
from __future__ import annotations

from functools import lru_cache

from app.queries import form_models
from forms.indicators import BoundIndicator, IndicatorError, IndicatorSpec, bind, spec_from_json
from forms.model import FormModel


def form_model(sha256: str, xml: str) -> FormModel:
    """A form version's parsed form, from the one form cache (keyed by its sha256)."""
    return form_models.model(sha256, lambda: xml)


def spec_of(definition: dict) -> IndicatorSpec:
    """The stored definition (spec JSON, checked when it was saved) as a spec."""
    return spec_from_json(definition)


@lru_cache(maxsize=1024)
def _bound(indicator_id: int, revision: int, sha256: str, xml: str, marks: tuple,
           definition_json: str) -> BoundIndicator | None:
    import json

    try:
        return bind(spec_of(json.loads(definition_json)), form_model(sha256, xml), dict(marks))
    except IndicatorError:
        return None


def bound_for(indicator_id: int, revision: int, definition: dict, sha256: str, xml: str,
              marks: dict[str, str]) -> BoundIndicator | None:
    """The indicator compiled for one form version; None when that version lacks a question
    the indicator reads (the caller then uses the form's current version)."""
    import json

    return _bound(indicator_id, revision, sha256, xml, tuple(sorted(marks.items())),
                  json.dumps(definition, sort_keys=True))

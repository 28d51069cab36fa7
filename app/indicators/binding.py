"""Indicators compiled for the form versions their submissions were made with, cached."""
from __future__ import annotations

import json
import threading
from collections.abc import Callable

from app.queries import form_models
from forms.indicators import BoundIndicator, IndicatorError, IndicatorSpec, bind, spec_from_json
from forms.model import FormModel

MAX_BOUND = 1024
# (definition, form version sha256) -> compiled indicator, or None when that version lacks
# a question it reads. The definition is the key itself (ids restart with a new database).
_bound: dict[tuple[str, str], BoundIndicator | None] = {}
_lock = threading.Lock()


def form_model(sha256: str, xml: Callable[[], str]) -> FormModel:
    """A form version's parsed form, from the one form cache (keyed by its sha256); `xml`
    is called only when the cache has not met that version."""
    return form_models.model(sha256, xml)


def spec_of(definition: dict) -> IndicatorSpec:
    """The stored definition (spec JSON, checked when it was saved) as a spec."""
    return spec_from_json(definition)


def bound_for(definition: dict, sha256: str, xml: Callable[[], str],
              marks: dict[str, str]) -> BoundIndicator | None:
    """The indicator compiled for one form version; None when that version lacks a question
    the indicator reads (the caller then uses the form's current version). `xml` is only
    called (a database read) the first time a version is met."""
    key = (json.dumps(definition, sort_keys=True), sha256)
    with _lock:
        if key in _bound:
            return _bound[key]
    try:
        compiled: BoundIndicator | None = bind(spec_of(definition),
                                               form_model(sha256, xml), marks)
    except IndicatorError:
        compiled = None
    with _lock:
        if len(_bound) >= MAX_BOUND:
            _bound.clear()
        _bound[key] = compiled
    return compiled

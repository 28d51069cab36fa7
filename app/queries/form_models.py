"""The one cache of parsed forms: a form version's XForm parsed once per process.

Keyed by the XForm's sha256 (versions with the same XML share an entry), a small LRU. Every
reader of a form's structure comes here: ingest (attachment names, columns), the pipeline
(field types), the SMS engine (its form model), exports and webhooks. A reader that needs its
own view of the form (the pipeline's FormSpec, say) asks for it with `derived`: built once
from the parsed model and kept in the same entry. The XForm itself is read from the database
only on a miss: it is the largest column these paths would touch.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import select

from app.extensions import db
from app.models import FormVersion
from forms.model import FormModel, parse_xform

T = TypeVar("T")
SIZE = 128
_entries: OrderedDict[str, dict[Hashable, Any]] = OrderedDict()
_lock = threading.Lock()
_MODEL = "model"


def xml_of(version_id: int) -> Callable[[], str]:
    """A loader of one version's XForm, for a cache miss."""
    return lambda: db.session.scalar(select(FormVersion.xml).where(FormVersion.id == version_id))


def model(sha256: str, load_xml: Callable[[], str]) -> FormModel:
    """The parsed form (forms.model) of the version whose XForm has this sha256."""
    return derived(sha256, load_xml, _MODEL, lambda parsed: parsed)


def derived(sha256: str, load_xml: Callable[[], str], key: Hashable,
            build: Callable[[FormModel], T]) -> T:
    """`build(model)` for this version, computed once per process and kept beside the model
    (`key` names the view: one per reader)."""
    with _lock:
        entry = _entries.get(sha256)
        if entry is not None:
            _entries.move_to_end(sha256)
            if key in entry:
                return entry[key]
    parsed = entry[_MODEL] if entry is not None else parse_xform(load_xml().encode("utf-8"))
    value = parsed if key == _MODEL else build(parsed)
    with _lock:
        entry = _entries.setdefault(sha256, {_MODEL: parsed})
        entry.setdefault(key, value)
        _entries.move_to_end(sha256)
        while len(_entries) > SIZE:
            _entries.popitem(last=False)
        return entry[key]


def clear() -> None:
    """Forget every parsed form (tests that publish the same XML with other content)."""
    with _lock:
        _entries.clear()

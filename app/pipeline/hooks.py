"""What else happens once the pipeline has committed a submission version's results.

Listeners (webhooks, for one) register here instead of the pipeline importing them, so the
pipeline knows nothing of who is told. A listener's failure is logged and never fails the job:
the results are committed already, and each listener owns its own retries.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

log = logging.getLogger(__name__)
Listener = Callable[[int, bool], None]
_listeners: list[Listener] = []


def on_processed(listener: Listener) -> Listener:
    """Register `listener(def_id, fresh)`; `fresh` is False for re-processing runs."""
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


def processed(def_id: int, *, fresh: bool) -> None:
    """Tell every listener that `def_id`'s results are committed."""
    for listener in list(_listeners):
        try:
            listener(def_id, fresh)
        except Exception:
            log.exception("pipeline listener %r failed for def_id=%s", listener, def_id)

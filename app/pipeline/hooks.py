"""What else happens once the pipeline has committed a submission version's results.

Listeners (webhooks, for one) register here instead of the pipeline importing them, so the
pipeline knows nothing of who is told. A listener's failure is logged and never fails the job:
the results are committed already, and each listener owns its own retries.

The pipeline commits versions in batches (a drain job's transaction): `on_processed_batch`
listeners hear of a whole batch in one call, so they can read what they need in one query
instead of one per version; `on_processed` listeners still hear of each version once.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

log = logging.getLogger(__name__)
Listener = Callable[[int, bool], None]
BatchListener = Callable[[Sequence[tuple[int, bool]]], None]
_listeners: list[Listener] = []
_batch_listeners: list[BatchListener] = []


def on_processed(listener: Listener) -> Listener:
    """Register `listener(def_id, fresh)`; `fresh` is False for re-processing runs."""
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


def on_processed_batch(listener: BatchListener) -> BatchListener:
    """Register `listener([(def_id, fresh), ...])`, called once per committed batch."""
    if listener not in _batch_listeners:
        _batch_listeners.append(listener)
    return listener


def processed(def_id: int, *, fresh: bool) -> None:
    """Tell every listener that `def_id`'s results are committed."""
    processed_batch([(def_id, fresh)])


def processed_batch(items: Sequence[tuple[int, bool]]) -> None:
    """Tell every listener that these versions' results are committed (one transaction)."""
    if not items:
        return
    for batch_listener in list(_batch_listeners):
        try:
            batch_listener(items)
        except Exception:
            log.exception("pipeline listener %r failed for %s versions", batch_listener,
                          len(items))
    for listener in list(_listeners):
        for def_id, fresh in items:
            try:
                listener(def_id, fresh)
            except Exception:
                log.exception("pipeline listener %r failed for def_id=%s", listener, def_id)

"""The pipeline: cleaning and SDG tagging of every stored submission version.

- `batch`: one batch of versions, processed in one transaction (the only path).
- `jobs`: the RQ jobs (drain a queue's batch, one row alone) and how they are queued.
- `dispatch`: committed outbox rows to RQ, or inline; the sweep.
- `clean`, `disaggregation`, `tagging` (+ `classifier/`), `fields`: the computation.
- `reprocess`, `retry`, `status`, `cli`, `hooks` (who is told of committed results).
The outbox's statements live in app.queries.outbox; queue names in app.queues.
"""
from __future__ import annotations

from typing import Any

from flask import Flask


def init_app(app: Flask) -> None:
    """Take every committed ingest's outbox rows, and add `flask pipeline ...`."""
    from app.pipeline import cli
    from sync import ingest

    ingest.on_committed(_ingested)
    cli.init_app(app)


def _ingested(result: Any) -> None:
    """The rows were just written by ingest (pending, never failed): their events go along so
    nothing is read back."""
    from app.pipeline import dispatch

    if result.outbox_ids:
        dispatch.after_commit(result.outbox_ids,
                              events=dict.fromkeys(result.outbox_ids, result.outbox_event))

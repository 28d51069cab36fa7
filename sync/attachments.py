"""Attachment bytes for ingest: content-addressed files written (and fsynced) in the
background while the database work runs, and their blob rows in one statement.

The order that makes a 201 safe: `start_writes` before the statements, `Writes.wait()` before
COMMIT. A file whose transaction then fails is an orphan, never a row without its bytes.
"""
from __future__ import annotations

import mimetypes
import os
import threading
from collections.abc import Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, String, bindparam, exists, select, true

from app import sql
from app.extensions import db
from app.models import Blob
from app.models.base import utcnow
from app.services.storage import hashes, storage_root, write_known


@dataclass(frozen=True)
class Incoming:
    """One file of a POST, hashed once."""

    name: str
    data: bytes
    sha256: str
    md5: str
    content_type: str


def prepare(files: Mapping[str, bytes]) -> dict[str, Incoming]:
    """Hash each file once (sha256 names it on disk and in `blobs`; md5 is Collect's hash)."""
    prepared = {}
    for name, data in files.items():
        sha256, md5 = hashes(data)
        prepared[name] = Incoming(name, data, sha256, md5,
                                  mimetypes.guess_type(name)[0] or "application/octet-stream")
    return prepared


class Writes:
    """Files being written durably; `wait()` returns once all are fsynced, or raises."""

    def __init__(self) -> None:
        self._futures: list[Future] = []
        self._started: set[str] = set()

    def start(self, items: Iterable[Incoming]) -> None:
        """Begin writing each file not begun yet (tmp, fsync, rename, fsync dir) off this
        thread: fsync waits on the disk, not the CPU, so it overlaps the database work."""
        root = storage_root()
        for item in items:
            if item.sha256 not in self._started:
                self._started.add(item.sha256)
                self._futures.append(_pool().submit(write_known, item.data, item.sha256, root))

    def wait(self) -> None:
        for future in self._futures:
            future.result()


_POOL: ThreadPoolExecutor | None = None
_POOL_PID = 0
_POOL_LOCK = threading.Lock()


def _pool() -> ThreadPoolExecutor:
    """One small pool per process (created after gunicorn forks: threads do not survive fork)."""
    global _POOL, _POOL_PID
    with _POOL_LOCK:
        if _POOL is None or _POOL_PID != os.getpid():
            _POOL = ThreadPoolExecutor(max_workers=8, thread_name_prefix="blob-write")
            _POOL_PID = os.getpid()
        return _POOL


def blob_ids(items: Iterable[Incoming]) -> dict[str, int]:
    """sha256 → blob id for these files, in one round trip for new and known bytes alike."""
    unique = list({item.sha256: item for item in items}.values())
    if not unique:
        return {}
    return {sha256: blob_id for blob_id, sha256 in db.session.execute(
        blob_rows(len(unique)), blob_params(unique, utcnow())).all()}


_BLOB_COLUMNS = [("sha256", String()), ("md5", String()), ("size", BigInteger()),
                 ("content_type", String())]


def blob_rows(count: int, gate: Any = None) -> Any:
    """INSERT of `count` files' blob rows RETURNING (id, sha256), their values bound as
    `blob_params` names them; a known sha256 returns its row (DO UPDATE, a no-op write, rather
    than DO NOTHING, so that RETURNING yields it). With `gate` (a FROM clause: an earlier step
    of a sql.Write), nothing when it has no row."""
    rows = sql.param_rows("b", _BLOB_COLUMNS, count)
    query = select(rows.c.sha256, rows.c.md5, rows.c.size, rows.c.content_type,
                   bindparam("b_now", type_=Blob.__table__.c.created_at.type))
    # SQLite needs a WHERE in an INSERT ... SELECT before ON CONFLICT (a parsing ambiguity).
    query = query.where(exists(select(gate.c.id)) if gate is not None else true())
    return sql.upsert(Blob.__table__, ["sha256"], ["size"]).from_select(
        ["sha256", "md5", "size", "content_type", "created_at"], query
    ).returning(Blob.id, Blob.sha256)


def blob_params(items: list[Incoming], now: Any) -> dict[str, Any]:
    """The values of `blob_rows(len(items))` for these files."""
    return {"b_now": now, **sql.row_params(
        "b", [name for name, _type in _BLOB_COLUMNS],
        [(i.sha256, i.md5, len(i.data), i.content_type) for i in items])}

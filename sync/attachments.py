"""Attachment bytes for ingest: content-addressed files written (and fsynced), and their
blob rows in one statement.

The order that makes a 201 safe: `write` before the statements that point at the files. A
file whose transaction then fails is an orphan, never a row without its bytes.
"""
from __future__ import annotations

import mimetypes
from collections.abc import Iterable, Mapping
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


def write(items: Iterable[Incoming]) -> None:
    """Write each file durably (temporary file, fsync, rename, fsync of its directory) before
    the statements that point at it run. In the request's own thread: a thread pool overlapped
    the fsync with the database work, but handing every file to it and back cost the web
    process more CPU (~0.5 ms a submission, bench/ingest.py) than the overlap saved, and the
    request threads overlap each other's waits anyway."""
    root = storage_root()
    for item in items:
        write_known(item.data, item.sha256, root)


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

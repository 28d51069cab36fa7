"""Content-addressed file storage under STORAGE_DIR; rows in `blobs` point at the files.

A file is written to a temporary name, fsynced, renamed into place and its directory fsynced,
so that once a transaction that references it commits, the bytes are on disk.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from flask import current_app
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.extensions import db
from app.models import Blob


def blob_path(sha256: str, root: str | None = None) -> Path:
    base = Path(root or current_app.config["STORAGE_DIR"])
    return base / "blobs" / sha256[:2] / sha256[2:4] / sha256


def write_file(data: bytes, root: str | None = None) -> tuple[str, str]:
    """Store bytes durably; return (sha256, md5). Writing the same bytes twice is harmless."""
    sha256 = hashlib.sha256(data).hexdigest()
    md5 = hashlib.md5(data).hexdigest()
    path = blob_path(sha256, root)
    if path.exists() and path.stat().st_size == len(data):
        return sha256, md5
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return sha256, md5


def store_blob(data: bytes, content_type: str | None = None) -> Blob:
    """The Blob row for these bytes, created if new; safe under concurrent writers."""
    sha256, md5 = write_file(data)
    insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    db.session.execute(
        insert(Blob).values(sha256=sha256, md5=md5, size=len(data),
                            content_type=content_type).on_conflict_do_nothing(
            index_elements=["sha256"])
    )
    return db.session.scalar(select(Blob).where(Blob.sha256 == sha256))


def read_blob(blob: Blob) -> bytes:
    return blob_path(blob.sha256).read_bytes()

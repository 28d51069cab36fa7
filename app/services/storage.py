"""Content-addressed file storage under STORAGE_DIR; rows in `blobs` point at the files.

A file is written to a temporary name, fsynced, renamed into place and its directory fsynced,
so that once a transaction that references it commits, the bytes are on disk.

Files fan out over 256 folders, `blobs/ab/<sha256>`, as git fans out its objects: each folder is
made once. Servers before this one wrote `blobs/ab/cd/<sha256>` (65,536 folders): until a
store held hundreds of thousands of files, nearly every new file made a new folder, a third of
the write's CPU (0.3 ms on our 2-core test machine). Such files are read where they are.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
import time
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from app import sql
from app.extensions import db
from app.models import Blob

TEMP_PREFIX = ".tmp-"
# A temporary file untouched this long belongs to a writer that died (a write is a few seconds).
STALE_TEMP_SECONDS = 600


def storage_root() -> str:
    return str(current_app.config["STORAGE_DIR"])


def blob_paths(sha256: str, root: str | None = None) -> tuple[Path, Path]:
    """Where the file of these bytes may be: where it is written now, then the older layout."""
    folder = Path(root or storage_root()) / "blobs" / sha256[:2]
    return folder / sha256, folder / sha256[2:4] / sha256


def blob_path(sha256: str, root: str | None = None) -> Path:
    """The file of these bytes: where it is, else where it would be written."""
    paths = blob_paths(sha256, root)
    return next((path for path in paths if path.exists()), paths[0])


def hashes(data: bytes) -> tuple[str, str]:
    """(sha256, md5) hex of the bytes."""
    return hashlib.sha256(data).hexdigest(), hashlib.md5(data).hexdigest()


def write_file(data: bytes, root: str | None = None) -> tuple[str, str]:
    """Store bytes durably; return (sha256, md5). Writing the same bytes twice is harmless."""
    sha256, md5 = hashes(data)
    write_known(data, sha256, root)
    return sha256, md5


def write_known(data: bytes, sha256: str, root: str | None = None) -> None:
    """Store bytes whose sha256 the caller computed; a no-op when that file is already there
    (content-addressed: same name, same bytes), so repeated uploads cost a stat() or two."""
    path, older = blob_paths(sha256, root)
    for stored in (path, older):
        try:
            if stored.stat().st_size == len(data):
                return
        except FileNotFoundError:
            pass
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=TEMP_PREFIX)
    except FileNotFoundError:  # the first file of its folder
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=TEMP_PREFIX)
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


def store_blob(data: bytes, content_type: str | None = None) -> Blob:
    """The Blob row for these bytes, created if new; safe under concurrent writers."""
    sha256, md5 = write_file(data)
    db.session.execute(sql.insert_or_skip(Blob.__table__, ["sha256"]).values(
        sha256=sha256, md5=md5, size=len(data), content_type=content_type))
    return db.session.scalar(select(Blob).where(Blob.sha256 == sha256))


def read_blob(blob: Blob) -> bytes:
    return blob_path(blob.sha256).read_bytes()


def remove_stale_temp_files(root: str | None = None,
                            older_than: float = STALE_TEMP_SECONDS) -> int:
    """Remove the half-written `.tmp-*` files a killed writer left under the storage root
    (at server start-up and hourly from the workers); returns how many went."""
    cutoff = time.time() - older_than
    removed = 0
    for directory, _subdirs, files in os.walk(root or storage_root()):
        for name in files:
            if not name.startswith(TEMP_PREFIX):
                continue
            path = os.path.join(directory, name)
            try:
                if os.stat(path).st_mtime < cutoff:
                    os.unlink(path)
                    removed += 1
            except FileNotFoundError:
                pass  # another sweeper, or its writer, got there first
    return removed

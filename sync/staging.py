"""Resumable uploads (central side): a field office sends a file in chunks, each appended to
a staging file only once it has arrived whole, so a cut link resumes from the last confirmed
byte instead of from zero.

Files are named by the sha256 of their whole content, under STORAGE_DIR/sync-uploads/, one
directory per link: `{sha256}.part` while arriving, `{sha256}` once complete and verified. A
staged file is not data yet: the batch that names it passes its bytes to `sync.ingest`, and
only then is the staged copy removed. A lock on the part file serialises two runs that upload
the same file at once.
"""
from __future__ import annotations

import fcntl
import hashlib
import os
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

SHA256 = re.compile(r"^[0-9a-f]{64}$")


class StagingError(Exception):
    """A chunk that cannot be taken: `received` is what the server has, for the client."""

    def __init__(self, message: str, received: int):
        super().__init__(message)
        self.message = message
        self.received = received


class OffsetMismatch(StagingError):
    """The chunk does not start where the staged bytes end (a retry, or a lost answer)."""


class DigestMismatch(StagingError):
    """The whole file arrived but its sha256 is not the one it was announced with."""


@dataclass(frozen=True)
class Status:
    sha256: str
    size: int
    received: int

    @property
    def complete(self) -> bool:
        return self.received >= self.size


class Staging:
    """The staged uploads of one link, under `root`."""

    def __init__(self, root: str | Path, link_id: int):
        self.dir = Path(root) / "sync-uploads" / str(link_id)

    def _paths(self, sha256: str) -> tuple[Path, Path]:
        if not SHA256.match(sha256):
            raise ValueError("not a sha256")
        return self.dir / f"{sha256}.part", self.dir / sha256

    def status(self, sha256: str, size: int) -> Status:
        part, done = self._paths(sha256)
        if done.exists():
            return Status(sha256, size, done.stat().st_size)
        return Status(sha256, size, part.stat().st_size if part.exists() else 0)

    def append(self, sha256: str, size: int, offset: int, blocks: Iterable[bytes],
               length: int) -> Status:
        """Append a chunk of `length` bytes at `offset` (which must be where the staged bytes
        end), block by block as it arrives: when the link is cut halfway, what did arrive
        stays (fsynced) and the next attempt resumes from there. The last byte verifies the
        whole file and completes it. Durable before it returns."""
        part, done = self._paths(sha256)
        if done.exists():
            return Status(sha256, size, done.stat().st_size)
        if offset + length > size:
            raise StagingError("the chunk goes past the announced size", self.status(
                sha256, size).received)
        self.dir.mkdir(parents=True, exist_ok=True)
        with open(part, "ab") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                if done.exists():  # another run completed it while we waited
                    return Status(sha256, size, done.stat().st_size)
                have = os.fstat(handle.fileno()).st_size
                if offset != have:
                    raise OffsetMismatch(f"the staged file has {have} bytes, not {offset}", have)
                try:
                    for block in blocks:
                        handle.write(block[:offset + length - have])
                        have = min(have + len(block), offset + length)
                finally:  # whole or cut, what arrived is kept
                    handle.flush()
                    os.fsync(handle.fileno())
                if have == size:
                    self._complete(part, done, sha256)
                return Status(sha256, size, have)
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _complete(self, part: Path, done: Path, sha256: str) -> None:
        digest = hashlib.sha256()
        with open(part, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        if digest.hexdigest() != sha256:
            part.unlink(missing_ok=True)
            raise DigestMismatch("the uploaded bytes do not match their sha256; send again", 0)
        os.replace(part, done)
        dir_fd = os.open(self.dir, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def read(self, sha256: str) -> bytes | None:
        """The bytes of a complete staged file, or None."""
        _, done = self._paths(sha256)
        try:
            return done.read_bytes()
        except FileNotFoundError:
            return None

    def discard(self, sha256: str) -> None:
        """Remove a staged file once its bytes are stored (called after the commit)."""
        for path in self._paths(sha256):
            path.unlink(missing_ok=True)


def sweep(root: str | Path, older_than_seconds: int) -> int:
    """Remove staged files untouched this long (abandoned uploads); returns how many."""
    base = Path(root) / "sync-uploads"
    cutoff = time.time() - older_than_seconds
    removed = 0
    for path in base.glob("*/*"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue
    return removed

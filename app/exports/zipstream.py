"""A zip written straight to the response: Python's zipfile in streaming mode (data descriptors,
ZIP64), so nothing but the current chunk is ever held in memory."""
from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime


class _Sink(io.RawIOBase):
    """A non-seekable file that keeps what was written until the generator drains it."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:  # type: ignore[override]
        self.chunks.append(bytes(data))
        return len(data)

    def drain(self) -> bytes:
        out = b"".join(self.chunks)
        self.chunks.clear()
        return out


class ZipStream:
    """Add entries from iterables of bytes; iterate `entry(...)` and `close()` for the output."""

    def __init__(self, compresslevel: int = 1) -> None:
        self._sink = _Sink()
        self._zip = zipfile.ZipFile(self._sink, "w", compression=zipfile.ZIP_DEFLATED,
                                    compresslevel=compresslevel, allowZip64=True)
        self._stamp = datetime.now(UTC).timetuple()[:6]

    def entry(self, name: str, chunks: Iterable[bytes]) -> Iterator[bytes]:
        """Write one file from `chunks`, yielding zip bytes as they are produced."""
        info = zipfile.ZipInfo(name, date_time=self._stamp)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        with self._zip.open(info, "w", force_zip64=True) as handle:
            for chunk in chunks:
                handle.write(chunk)
                if len(self._sink.chunks) > 0:
                    yield self._sink.drain()
        yield self._sink.drain()

    def close(self) -> Iterator[bytes]:
        """The central directory."""
        self._zip.close()
        yield self._sink.drain()

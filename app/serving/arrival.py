"""One HTTP/1.1 request arriving on a connection, read before any thread is given to it.

Fed whatever bytes the socket has, it answers whether the request is complete, must wait, or
must be refused; it keeps the request's raw bytes (in memory up to 1 MiB, then in an unlinked
temporary file) so the server's own parser can read them afterwards without touching the socket.
h11 tells where the request ends (Content-Length, chunked, pipelined bytes after it): we never
frame HTTP by hand. No socket, no clock: the caller passes both in.
"""
from __future__ import annotations

import enum
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass

import h11

_SPOOL_IN_MEMORY = 1024 * 1024
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class ArrivalLimits:
    """How fast a request must arrive (REQUEST_TIMEOUT, UPLOAD_MIN_RATE, the body limit)."""

    timeout: float = 60.0           # headers, and bodies under min_rate * timeout, within this
    min_rate: float = 1024.0        # bytes/s averaged since the request began, after `timeout`
    max_body: int = 101 * 1024 * 1024
    max_header_bytes: int = 64 * 1024
    spool_dir: str | None = None


class Status(enum.Enum):
    WAITING = "waiting"
    COMPLETE = "complete"
    REFUSED = "refused"


class Arrival:
    """The request a connection is sending; `feed` it bytes, `expired` it the time."""

    def __init__(self, limits: ArrivalLimits, started: float, seed: bytes = b""):
        self.limits = limits
        self.started = started
        self.received = 0
        self.headers_done = False
        self.expects_continue = False
        self.leftover = b""
        self.refusal: tuple[int, str] | None = None
        self._parser = h11.Connection(h11.SERVER,
                                      max_incomplete_event_size=limits.max_header_bytes)
        self._spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY,
                                                    dir=limits.spool_dir)
        self._length = 0
        self.status = Status.WAITING
        if seed:
            self.feed(seed)

    def feed(self, data: bytes) -> Status:
        """Take bytes from the socket (never empty: EOF is the caller's business)."""
        if self.status is not Status.WAITING or not data:
            return self.status
        self._spool.write(data)
        self._length += len(data)
        self.received += len(data)
        try:
            self._parser.receive_data(data)
            self._advance()
        except h11.RemoteProtocolError as error:
            self._refuse(error.error_status_hint, str(error) or "malformed request")
        return self.status

    def _advance(self) -> None:
        while True:
            event = self._parser.next_event()
            if event is h11.NEED_DATA or event is h11.PAUSED:
                return
            if isinstance(event, h11.Request):
                self.headers_done = True
                self.expects_continue = self._parser.they_are_waiting_for_100_continue
                length = _content_length(event)
                if length is not None and length > self.limits.max_body:
                    self._refuse(413, f"The request body is larger than the limit of "
                                      f"{self.limits.max_body} bytes.")
                    return
            elif isinstance(event, h11.Data):
                self.expects_continue = False
                if self._parser.their_state is h11.SEND_BODY and \
                        self._body_bytes_over_limit():
                    self._refuse(413, f"The request body is larger than the limit of "
                                      f"{self.limits.max_body} bytes.")
                    return
            elif isinstance(event, h11.EndOfMessage):
                trailing, _closed = self._parser.trailing_data
                self.leftover = bytes(trailing)
                self._length -= len(self.leftover)
                self.status = Status.COMPLETE
                return

    def _body_bytes_over_limit(self) -> bool:
        # A chunked body has no declared length: count what came (headers included; the
        # margin is the headers' size, far below the limit's own 1 MiB of slack).
        return self._length > self.limits.max_body + self.limits.max_header_bytes

    def _refuse(self, status: int, message: str) -> None:
        self.status = Status.REFUSED
        self.refusal = (status, message)
        self.close()

    def expired(self, now: float) -> str | None:
        """Why the request may no longer take the time it takes, or None while it may."""
        if self.status is not Status.WAITING:
            return None
        elapsed = now - self.started
        if elapsed <= self.limits.timeout:
            return None
        if not self.headers_done:
            return f"headers not received within {self.limits.timeout:g} s"
        if self.received < self.limits.min_rate * elapsed:
            return (f"body arriving slower than {self.limits.min_rate:g} bytes/s "
                    f"after {self.limits.timeout:g} s")
        return None

    def chunks(self) -> Iterator[bytes]:
        """The complete request's raw bytes (pipelined bytes after it excluded), once."""
        self._spool.seek(0)
        left = self._length
        try:
            while left > 0:
                chunk = self._spool.read(min(_CHUNK, left))
                if not chunk:
                    return
                left -= len(chunk)
                yield chunk
        finally:
            self.close()

    def close(self) -> None:
        self._spool.close()


def _content_length(request: h11.Request) -> int | None:
    for name, value in request.headers:
        if name == b"content-length":
            return int(value)
    return None

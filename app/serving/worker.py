"""The production gunicorn worker: gthread, except that a request is read whole by the event
loop before a thread is given to it.

gthread hands a connection to a thread as soon as a byte arrives; the thread then blocks until
the headers and body are in. A few hundred clients sending a header line every few seconds, or a
body a byte at a time, hold every thread and the server stops answering (issue 12). Here the
worker's main loop reads requests from non-blocking sockets (it already waits on kept-alive
connections that way), so a slow client costs a socket and its bytes so far, not a thread:

- headers, and bodies smaller than UPLOAD_MIN_RATE x REQUEST_TIMEOUT, must arrive within
  REQUEST_TIMEOUT seconds; after that, a request must keep arriving at UPLOAD_MIN_RATE bytes/s
  on average since it began (ODK Collect on 2G sends several KB/s): else 408 and close;
- a body declared (or, chunked, grown) larger than the app's MAX_CONTENT_LENGTH: 413 at once;
- each send of a response must finish within REQUEST_TIMEOUT (a reader that stops reading
  frees its thread then).

The complete request goes to gunicorn's own parser and the thread pool unchanged, so the app,
the access log and keep-alive behave as under gthread. TLS, PROXY protocol and HTTP/2 sockets
are served the plain gthread way (terminate TLS in the proxy in front).
"""
from __future__ import annotations

import errno
import selectors
import time
from functools import partial

import orjson
from gunicorn.http.message import Request
from gunicorn.http.parser import RequestParser
from gunicorn.workers.gthread import TConn, ThreadWorker

from app.serving.arrival import Arrival, ArrivalLimits, Status

_REASONS = {400: "Bad Request", 408: "Request Timeout", 413: "Content Too Large",
            431: "Request Header Fields Too Large"}


class _ArrivedRequest(Request):
    # The event loop already answered "100 Continue" (the body is in by now); gunicorn must not
    # send a second one in the middle of the response.
    _policy_expect_continue = False


class _ArrivedParser(RequestParser):
    mesg_class = _ArrivedRequest


class BufferingWorker(ThreadWorker):
    """gthread with requests read whole in the event loop (see the module's docstring)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.arrivals: dict[TConn, Arrival] = {}
        self.limits = ArrivalLimits()

    def load_wsgi(self):
        super().load_wsgi()
        config = getattr(self.wsgi, "config", {})
        self.limits = ArrivalLimits(
            timeout=float(config.get("REQUEST_TIMEOUT", self.limits.timeout)),
            min_rate=float(config.get("UPLOAD_MIN_RATE", self.limits.min_rate)),
            max_body=int(config.get("MAX_CONTENT_LENGTH") or self.limits.max_body),
            max_header_bytes=self.cfg.limit_request_line + max(
                self.cfg.limit_request_fields, 1) * self.cfg.limit_request_field_size,
            spool_dir=self.cfg.tmp_upload_dir)

    def _buffers(self) -> bool:
        off = (None, False, "off")
        return not (self.cfg.is_ssl or getattr(self.cfg, "proxy_protocol", None) not in off
                    or getattr(self.cfg, "http2_cleartext", None) not in off)

    # --- connections: new ones, and kept-alive ones whose next request starts -------------

    def accept(self, listener):
        if not self._buffers():
            return super().accept(listener)
        try:
            client_sock, client_addr = listener.accept()
        except OSError as error:
            if error.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        self._await_request(TConn(self.cfg, client_sock, client_addr, listener.getsockname()))

    def on_client_socket_readable(self, conn, client):
        if not self._buffers():
            return super().on_client_socket_readable(conn, client)
        self.poller.unregister(client)
        self.keepalived_conns.remove(conn)
        self._await_request(conn)

    def finish_request(self, conn, fs):
        leftover = getattr(conn, "leftover", b"")
        if leftover and self.alive and not fs.cancelled() and fs.result() is True:
            # The client pipelined its next request behind the last one: it will not make the
            # socket readable again, so start on the bytes we hold.
            conn.leftover = b""
            self._await_request(conn, leftover)
            return
        super().finish_request(conn, fs)

    def _await_request(self, conn: TConn, seed: bytes = b"") -> None:
        conn.sock.setblocking(False)
        arrival = Arrival(self.limits, time.monotonic(), seed)
        self.arrivals[conn] = arrival
        self.poller.register(conn.sock, selectors.EVENT_READ,
                             partial(self._on_arrival_readable, conn))
        self._after_feed(conn, arrival)

    def _on_arrival_readable(self, conn: TConn, _sock) -> None:
        arrival = self.arrivals.get(conn)
        if arrival is None:
            return
        try:
            data = conn.sock.recv(256 * 1024)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:  # the client went away before finishing its request
            self._drop(conn)
            return
        arrival.feed(data)
        self._after_feed(conn, arrival)

    def _after_feed(self, conn: TConn, arrival: Arrival) -> None:
        if arrival.expects_continue:
            arrival.expects_continue = False
            self._send_quietly(conn, b"HTTP/1.1 100 Continue\r\n\r\n")
        if arrival.status is Status.COMPLETE:
            self._dispatch(conn, arrival)
        elif arrival.status is Status.REFUSED:
            status, message = arrival.refusal
            self._drop(conn, status, message)

    def _dispatch(self, conn: TConn, arrival: Arrival) -> None:
        """The request is whole: gunicorn's parser reads it from our buffer, a thread serves it."""
        self.poller.unregister(conn.sock)
        del self.arrivals[conn]
        conn.parser = _ArrivedParser(self.cfg, arrival.chunks(), conn.client)
        conn.initialized = conn.data_ready = True
        conn.leftover = arrival.leftover
        self.enqueue_req(conn)

    def handle_request(self, req, conn):
        # Runs in the thread, on a blocking socket: bound each send of the response.
        if self._buffers():
            conn.sock.settimeout(self.limits.timeout)
        return super().handle_request(req, conn)

    # --- closing the ones that take too long -----------------------------------------------

    def murder_pending(self):
        super().murder_pending()
        now = time.monotonic()
        for conn, arrival in list(self.arrivals.items()):
            reason = arrival.expired(now)
            if reason is not None:
                self.log.info("closing a slow request from %s: %s", _peer(conn), reason)
                self._drop(conn, 408, f"The request did not arrive in time: {reason}.")

    def _drop(self, conn: TConn, status: int | None = None, message: str = "") -> None:
        arrival = self.arrivals.pop(conn, None)
        if arrival is not None:
            arrival.close()
        try:
            self.poller.unregister(conn.sock)
        except (KeyError, ValueError, OSError):
            pass
        if status is not None:
            self._send_quietly(conn, _response(status, message))
        self.nr_conns -= 1
        conn.close()

    @staticmethod
    def _send_quietly(conn: TConn, data: bytes) -> None:
        try:
            conn.sock.send(data)
        except OSError:
            pass  # a client that stopped reading gets no answer


def _response(status: int, message: str) -> bytes:
    """A closing answer in the API's problem format ({"code", "message"})."""
    body = orjson.dumps({"code": float(f"{status}.0") if status != 413 else 413.1,
                         "message": message})
    head = (f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            f"Connection: close\r\nX-OpenRosa-Version: 1.0\r\n\r\n")
    return head.encode() + body


def _peer(conn: TConn) -> str:
    client = conn.client
    return client[0] if isinstance(client, tuple) else str(client)

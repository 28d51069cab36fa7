"""A fault-injecting TCP proxy for the sync tests and bench: a bad rural link on loopback.

It listens on 127.0.0.1 and forwards to a target port, and can
- cut connections (RST both ends) after a random number of bytes: cut points fall on the
  byte stream as a Poisson process with mean `cut_every` bytes (both directions counted),
  until `max_cuts` cuts have happened;
- add one-way latency (`latency` seconds each way, so a round trip costs 2x): data is
  delivered `latency` after it was read, without slowing the stream itself;
- limit bandwidth (`bandwidth` bytes/s each way).
It counts connections, cuts and bytes each way, for the figures.
"""
from __future__ import annotations

import random
import socket
import struct
import threading
import time
from collections import deque
from dataclasses import dataclass, field


@dataclass
class Stats:
    connections: int = 0
    cuts: int = 0
    bytes_up: int = 0  # client -> server
    bytes_down: int = 0  # server -> client
    cut_log: list[int] = field(default_factory=list)  # bytes into the connection at each cut
    cut_times: list[float] = field(default_factory=list)  # time.monotonic() of each cut

    @property
    def bytes(self) -> int:
        return self.bytes_up + self.bytes_down


class _Pipe:
    """One direction of one connection: a reader fills a delay line, a writer drains it at
    the link's pace."""

    def __init__(self, proxy: FaultProxy, conn: _Conn, src: socket.socket, dst: socket.socket,
                 up: bool):
        self.proxy, self.conn, self.src, self.dst, self.up = proxy, conn, src, dst, up
        self.line: deque[tuple[float, bytes]] = deque()
        self.ready = threading.Condition()
        self.eof = False

    def read_loop(self) -> None:
        try:
            while not self.conn.dead:
                data = self.src.recv(65536)
                if not data:
                    break
                with self.ready:
                    self.line.append((time.monotonic() + self.proxy.latency, data))
                    self.ready.notify()
        except OSError:
            pass
        with self.ready:
            self.eof = True
            self.ready.notify()

    def write_loop(self) -> None:
        try:
            while True:
                with self.ready:
                    while not self.line and not self.eof and not self.conn.dead:
                        self.ready.wait(0.5)
                    if self.conn.dead or (not self.line and self.eof):
                        break
                    due, data = self.line.popleft()
                wait = due - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                self._send(data)
            if not self.conn.dead:
                try:
                    self.dst.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
        except OSError:
            self.conn.kill()

    def _send(self, data: bytes) -> None:
        step = 4096 if self.proxy.bandwidth else len(data)
        for start in range(0, len(data), step):
            piece = data[start:start + step]
            cut_at = self.conn.take(len(piece))
            if cut_at is not None:
                if cut_at:
                    self.dst.sendall(piece[:cut_at])
                self.conn.cut()
                return
            self.dst.sendall(piece)
            self.proxy._count(self.up, len(piece))
            if self.proxy.bandwidth:
                time.sleep(len(piece) / self.proxy.bandwidth)


class _Conn:
    def __init__(self, proxy: FaultProxy, client: socket.socket, server: socket.socket):
        self.proxy, self.client, self.server = proxy, client, server
        self.dead = False
        self.carried = 0
        self.lock = threading.Lock()
        self.next_cut = proxy._draw()

    def take(self, n: int) -> int | None:
        """Account `n` bytes; the offset into them at which to cut, or None."""
        with self.lock:
            if self.dead:
                raise OSError("connection cut")
            planned = self.proxy._planned_cut(n)
            if planned is not None:
                self.carried += planned
                return planned
            if self.next_cut is not None and self.carried + n >= self.next_cut:
                if self.proxy._cut_allowed():
                    offset = self.next_cut - self.carried
                    self.carried = self.next_cut
                    return offset
                self.next_cut = None
            self.carried += n
            return None

    def cut(self) -> None:
        self.proxy._record_cut(self.carried)
        self.kill(reset=True)

    def kill(self, reset: bool = False) -> None:
        self.dead = True
        for sock in (self.client, self.server):
            try:
                if reset:  # RST, as a dropped mobile link looks to both ends
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                # shutdown first: close() alone neither wakes a thread blocked in recv() on
                # the socket nor tells the other end anything until that recv returns.
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                sock.close()
            except OSError:
                pass


class FaultProxy:
    def __init__(self, target_port: int, *, latency: float = 0.0, bandwidth: float | None = None,
                 cut_every: float | None = None, max_cuts: int | None = None, seed: int = 1,
                 target_host: str = "127.0.0.1"):
        self.target = (target_host, target_port)
        self.latency, self.bandwidth = latency, bandwidth
        self.cut_every, self.max_cuts = cut_every, max_cuts
        self.rng = random.Random(seed)
        self.stats = Stats()
        self._cut_total: int | None = None
        self._lock = threading.Lock()
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port = self._listener.getsockname()[1]
        self._conns: list[_Conn] = []
        self._running = True
        threading.Thread(target=self._accept, daemon=True, name="faultproxy").start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _draw(self) -> int | None:
        """Bytes into a new connection before its cut (exponential: memoryless over the
        stream, so each byte is equally likely to be the last)."""
        if not self.cut_every:
            return None
        with self._lock:
            return max(1, int(self.rng.expovariate(1 / self.cut_every)))

    def _cut_allowed(self) -> bool:
        with self._lock:
            return self.max_cuts is None or self.stats.cuts < self.max_cuts

    def _record_cut(self, offset: int) -> None:
        with self._lock:
            self.stats.cuts += 1
            self.stats.cut_log.append(offset)
            self.stats.cut_times.append(time.monotonic())

    def cut_at_bytes(self, total: int) -> None:
        """One cut once `total` bytes (both ways, from now) have crossed the proxy."""
        with self._lock:
            self._cut_total = self.stats.bytes + total

    def _planned_cut(self, n: int) -> int | None:
        with self._lock:
            if self._cut_total is None or self.stats.bytes + n < self._cut_total:
                return None
            offset, self._cut_total = max(0, self._cut_total - self.stats.bytes), None
            return offset

    def _count(self, up: bool, n: int) -> None:
        with self._lock:
            if up:
                self.stats.bytes_up += n
            else:
                self.stats.bytes_down += n

    def _accept(self) -> None:
        while self._running:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.target, timeout=10)
                server.settimeout(None)
            except OSError:
                client.close()
                continue
            for sock in (client, server):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn = _Conn(self, client, server)
            with self._lock:
                self.stats.connections += 1
                self._conns.append(conn)
            for pipe in (_Pipe(self, conn, client, server, True),
                         _Pipe(self, conn, server, client, False)):
                threading.Thread(target=pipe.read_loop, daemon=True).start()
                threading.Thread(target=pipe.write_loop, daemon=True).start()

    def reset_stats(self) -> Stats:
        with self._lock:
            old, self.stats = self.stats, Stats()
        return old

    def close(self) -> None:
        self._running = False
        self._listener.close()
        for conn in list(self._conns):
            conn.kill()


"""Slow clients against the production server: `/health` latency while slow-header and slow-body
connections are held open. One command, prints its figures:

    TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \
      .venv/bin/python bench/slow_clients.py [--headers 200 --bodies 200 --seconds 90]

Starts `gunicorn -c gunicorn.conf.py wsgi:app` (what the README documents, on a fresh PostgreSQL
database), opens the slow connections from one thread (a header line every --header-every
seconds; a body byte every --body-every seconds after headers announcing --body-bytes), probes
`GET /health` on a fresh connection every 0.2 s from another, and reports the probes' latency and
how long the server let the slow connections live.
"""
from __future__ import annotations

import argparse
import os
import selectors
import socket
import sys
import threading
import time
from http.client import HTTPConnection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._common import gunicorn, gunicorn_label, percentile, temp_database  # noqa: E402


class SlowConnection:
    """One attacker connection: a request sent a piece at a time."""

    def __init__(self, port: int, kind: str, body_bytes: int):
        self.kind = kind
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.sock.setblocking(False)
        self.opened = time.monotonic()
        self.closed_at: float | None = None
        self.sent = 0
        if kind == "header":
            self.sock.send(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        else:
            self.sock.send((f"POST /v1/projects/1/submission HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                            f"Content-Type: multipart/form-data; boundary=x\r\n"
                            f"X-OpenRosa-Version: 1.0\r\nContent-Length: {body_bytes}\r\n\r\n")
                           .encode())

    def trickle(self) -> None:
        if self.closed_at is not None:
            return
        try:
            self.sock.send(b"X-Slow: a\r\n" if self.kind == "header" else b"-")
            self.sent += 1
        except OSError:
            self.mark_closed()

    def poll_closed(self) -> None:
        """The server closed us (EOF, reset or a response: either way we are let go)."""
        if self.closed_at is not None:
            return
        try:
            data = self.sock.recv(4096)
        except BlockingIOError:
            return
        except OSError:
            self.mark_closed()
            return
        if not data or data.startswith(b"HTTP/"):
            self.mark_closed()

    def mark_closed(self) -> None:
        self.closed_at = time.monotonic()
        self.sock.close()


def _probe(port: int, stop: threading.Event, latencies: list[float], failures: list[str]):
    while not stop.is_set():
        start = time.perf_counter()
        try:
            conn = HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", "/health")
            response = conn.getresponse()
            response.read()
            conn.close()
            if response.status != 200:
                failures.append(str(response.status))
            latencies.append(time.perf_counter() - start)
        except OSError as error:
            failures.append(error.__class__.__name__)
            latencies.append(time.perf_counter() - start)
        stop.wait(0.2)


def run(port: int, args) -> dict:
    """Open the slow connections, keep trickling, probe /health; the figures as a dict."""
    conns: list[SlowConnection] = []
    refused = 0
    for kind, count in (("header", args.headers), ("body", args.bodies)):
        for _ in range(count):
            try:
                conns.append(SlowConnection(port, kind, args.body_bytes))
            except OSError:
                refused += 1
    latencies: list[float] = []
    failures: list[str] = []
    stop = threading.Event()
    prober = threading.Thread(target=_probe, args=(port, stop, latencies, failures))
    time.sleep(1)  # let them all be in the server's hands before probing
    prober.start()
    began = time.monotonic()
    next_header = next_body = began
    selector = selectors.DefaultSelector()
    for conn in conns:
        selector.register(conn.sock, selectors.EVENT_READ, conn)
    while time.monotonic() - began < args.seconds:
        now = time.monotonic()
        for key, _ in selector.select(timeout=0.2):
            key.data.poll_closed()
            if key.data.closed_at is not None:
                selector.unregister(key.fileobj)
        if now >= next_header:
            for conn in conns:
                if conn.kind == "header":
                    conn.trickle()
            next_header = now + args.header_every
        if now >= next_body:
            for conn in conns:
                if conn.kind == "body":
                    conn.trickle()
            next_body = now + args.body_every
    stop.set()
    prober.join()
    result = {"latencies": latencies, "failures": failures, "refused": refused}
    for kind in ("header", "body"):
        mine = [c for c in conns if c.kind == kind]
        closed = [c.closed_at - c.opened for c in mine if c.closed_at is not None]
        result[kind] = {"opened": len(mine), "open_at_end": len(mine) - len(closed),
                        "closed_after": (min(closed), max(closed)) if closed else None}
    for conn in conns:
        if conn.closed_at is None:
            conn.sock.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--headers", type=int, default=200, help="slow-header connections")
    parser.add_argument("--bodies", type=int, default=200, help="slow-body connections")
    parser.add_argument("--seconds", type=float, default=90, help="how long to keep them")
    parser.add_argument("--header-every", type=float, default=5.0)
    parser.add_argument("--body-every", type=float, default=5.0)
    parser.add_argument("--body-bytes", type=int, default=100_000)
    args = parser.parse_args()

    with temp_database() as (url, storage):
        with gunicorn(url, storage, "/health") as port:
            load = " ".join(f"{x:.2f}" for x in os.getloadavg())
            result = run(port, args)
            load_after = " ".join(f"{x:.2f}" for x in os.getloadavg())
    lat = result["latencies"]
    print(f"slow clients: gunicorn {gunicorn_label()} (gunicorn.conf.py), PostgreSQL, "
          f"{os.cpu_count()} cores; load average before: {load}, after: {load_after}")
    print(f"held: {args.headers} slow-header (a line every {args.header_every:g} s) + "
          f"{args.bodies} slow-body ({args.body_bytes} bytes announced, a byte every "
          f"{args.body_every:g} s) for {args.seconds:g} s; {result['refused']} refused at connect")
    for kind in ("header", "body"):
        r = result[kind]
        closed = (f"closed by the server after {r['closed_after'][0]:.0f}-"
                  f"{r['closed_after'][1]:.0f} s" if r["closed_after"] else "none closed")
        print(f"  slow-{kind}: {r['opened']} opened, {r['open_at_end']} still open at the end; "
              f"{closed}")
    kinds = ", ".join(sorted(set(result["failures"])))
    print(f"/health: {len(lat)} probes, p50 {percentile(lat, 0.5, 1000):.0f} ms, "
          f"p99 {percentile(lat, 0.99, 1000):.0f} ms,"
          f" max {max(lat) * 1000 if lat else 0:.0f} ms; {len(result['failures'])} failed"
          f"{f' ({kinds})' if kinds else ''}")


if __name__ == "__main__":
    main()

"""A request arriving, before any thread serves it: when it is whole, late or refused."""
from __future__ import annotations

from app.serving.arrival import Arrival, ArrivalLimits, Status

LIMITS = ArrivalLimits(timeout=60, min_rate=1000, max_body=10_000, max_header_bytes=4096)


def test_a_request_is_complete_once_its_declared_body_is_in_and_keeps_pipelined_bytes_apart():
    arrival = Arrival(LIMITS, started=0.0)
    head = b"POST /s HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n"
    assert arrival.feed(head + b"abc") is Status.WAITING
    assert arrival.feed(b"deGET / HTTP/1.1\r\n") is Status.COMPLETE
    assert b"".join(arrival.chunks()) == head + b"abcde"
    assert arrival.leftover == b"GET / HTTP/1.1\r\n"


def test_a_chunked_body_growing_past_the_limit_is_refused_413():
    arrival = Arrival(LIMITS, started=0.0)
    arrival.feed(b"POST /s HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n")
    for _ in range(20):
        arrival.feed(b"400\r\n" + b"x" * 1024 + b"\r\n")
    assert arrival.status is Status.REFUSED
    assert arrival.refusal[0] == 413


def test_headers_larger_than_the_server_accepts_are_refused_431():
    arrival = Arrival(LIMITS, started=0.0)
    arrival.feed(b"GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + b"y" * 5000)
    assert arrival.refusal[0] == 431


def test_a_malformed_request_line_is_refused_400_naming_nothing_of_the_app():
    arrival = Arrival(LIMITS, started=0.0)
    arrival.feed(b"GARBAGE\r\n\r\n")
    assert arrival.status is Status.REFUSED and arrival.refusal[0] == 400


def test_headers_must_arrive_within_the_timeout():
    arrival = Arrival(LIMITS, started=100.0, seed=b"GET / HTTP/1.1\r\nHost: a\r\n")
    assert arrival.expired(159.0) is None
    assert "headers not received within 60 s" in arrival.expired(161.0)


def test_a_large_body_may_take_longer_than_the_timeout_while_it_keeps_the_minimum_rate():
    arrival = Arrival(ArrivalLimits(timeout=60, min_rate=1000, max_body=10 ** 7), started=0.0)
    arrival.feed(b"POST /s HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000\r\n\r\n")
    arrival.feed(b"x" * 120_000)
    assert arrival.expired(119.0) is None          # 120 KB in 119 s: over 1000 bytes/s
    assert "slower than 1000 bytes/s" in arrival.expired(125.0)

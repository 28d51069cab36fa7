"""The sync's HTTP: bounded waits, retries with exponential back-off and full jitter, never a
retry of a request the server refused for what it is. Against a real local server."""
from __future__ import annotations

import gzip
import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from sync.wire import Credentials, Refused, Unreachable, Wire, WireError, WireOptions
from tests.sync.faultproxy import FaultProxy


class Script:
    """A server that answers each request with the next scripted status."""

    def __init__(self, statuses: list[int], body: bytes = b'{"ok": true}',
                 headers: dict[str, str] | None = None):
        self.statuses, self.body, self.headers = statuses, body, headers or {}
        self.seen: list[tuple[str, bytes, dict]] = []

    def __call__(self, environ, start_response):
        request = Request(environ)
        self.seen.append((request.path, request.get_data(), dict(request.headers)))
        status = self.statuses.pop(0) if self.statuses else 200
        return Response(self.body, status=status, headers=self.headers,
                        content_type="application/json")(environ, start_response)


@pytest.fixture
def serve() -> Iterator:
    servers = []

    def start(app) -> str:
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server in servers:
        server.shutdown()


def _wire(url, sleeps, **options) -> Wire:
    return Wire(url, Credentials(token="t0k"), WireOptions(**{"backoff": 1.0, **options}),
                sleep=sleeps.append, jitter=lambda: 0.5)


def test_server_errors_are_retried_with_exponential_backoff_and_jitter(serve):
    script = Script([503, 502, 500])
    sleeps: list[float] = []
    response = _wire(serve(script), sleeps).call("GET", "/x")
    assert response.json() == {"ok": True} and len(script.seen) == 4
    assert sleeps == [0.5, 1.0, 2.0]  # ceiling 1, 2, 4 seconds, times the jitter draw
    assert script.seen[0][2]["Authorization"] == "Bearer t0k"


def test_retry_after_is_a_floor_and_the_backoff_has_a_ceiling(serve):
    sleeps: list[float] = []
    _wire(serve(Script([429], headers={"Retry-After": "7"})), sleeps).call("GET", "/x")
    assert sleeps == [7.0]
    sleeps.clear()
    _wire(serve(Script([503] * 6)), sleeps, backoff_max=3.0).call("GET", "/x")
    assert max(sleeps) == 1.5


def test_a_request_refused_for_what_it_is_is_not_retried(serve):
    script = Script([400], body=b'{"code": 400.8, "message": "bad form id"}')
    with pytest.raises(WireError) as error:
        _wire(serve(script), []).call("POST", "/x", json_body={"a": 1})
    assert error.value.status == 400 and error.value.code == 400.8
    assert len(script.seen) == 1


def test_401_and_403_are_refusals(serve):
    with pytest.raises(Refused) as error:
        _wire(serve(Script([401])), []).call("GET", "/x")
    assert error.value.status == 401


def test_it_gives_up_after_its_retries(serve):
    script = Script([503] * 10)
    with pytest.raises(Unreachable):
        _wire(serve(script), [], retries=2).call("GET", "/x")
    assert len(script.seen) == 3


def test_a_refused_connection_is_retried_then_unreachable():
    sleeps: list[float] = []
    with pytest.raises(Unreachable) as error:
        _wire("http://127.0.0.1:9", sleeps, retries=3).call("GET", "/x")
    assert len(sleeps) == 3 and "ConnectionError" in str(error.value)


def test_an_answer_cut_halfway_is_asked_for_again(serve):
    script = Script([], body=b'{"big": "' + b"x" * 200_000 + b'"}')
    upstream = serve(script)
    proxy = FaultProxy(int(upstream.rsplit(":", 1)[1]), cut_every=50_000, max_cuts=1, seed=3)
    try:
        response = _wire(proxy.url, []).call("GET", "/x")
        assert len(response.json()["big"]) == 200_000
        assert proxy.stats.cuts == 1 and len(script.seen) == 2
    finally:
        proxy.close()


def test_bodies_can_travel_gzipped(serve):
    script = Script([])
    _wire(serve(script), []).call("POST", "/x", json_body={"items": ["a" * 1000]},
                                  gzip_body=True)
    _, body, headers = script.seen[0]
    assert headers["Content-Encoding"] == "gzip" and len(body) < 200
    assert gzip.decompress(body).startswith(b'{"items"')


def test_password_credentials_open_a_session_and_renew_it_once_on_401(serve):
    script = Script([200, 401, 200, 200], body=b'{"token": "s3ss"}')
    wire = Wire(serve(script), Credentials(email="e@x.org", password="pw"),
                WireOptions(backoff=0.0))
    wire.call("GET", "/v1/projects/1")
    paths = [seen[0] for seen in script.seen]
    assert paths == ["/v1/sessions", "/v1/projects/1", "/v1/sessions", "/v1/projects/1"]
    assert script.seen[-1][2]["Authorization"] == "Bearer s3ss"


def test_an_answer_whose_headers_were_cut_is_asked_for_again():
    """A cut inside the header block looks, to http.client, like a whole answer with no body
    (`200`, no Content-Length: read to the close, which comes at once). The sync's servers
    always frame their answers (Content-Length or chunked), so an unframed one was cut."""
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    seen: list[bytes] = []
    whole = b'{"ok": true}'
    answers = [b"HTTP/1.1 200 OK\r\nServer: Werkzeug/3.1\r\nDate: Mon, 07 Dec 2026 16:4",
               b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
               + str(len(whole)).encode() + b"\r\nConnection: close\r\n\r\n" + whole]

    def serve() -> None:
        for answer in answers:
            conn, _ = listener.accept()
            seen.append(conn.recv(65536))
            conn.sendall(answer)
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    try:
        sleeps: list[float] = []
        response = _wire(f"http://127.0.0.1:{listener.getsockname()[1]}", sleeps).call(
            "GET", "/v1/projects/1/forms")
        assert response.json() == {"ok": True}
        assert len(seen) == 2 and len(sleeps) == 1
    finally:
        listener.close()


def test_a_stalled_answer_is_given_up_after_the_read_timeout_and_asked_again(serve):
    """Bounded in time: a request whose answer stalls is abandoned after read_timeout (not
    waited on for ever, as a line that went silent would be) and sent again."""
    import time

    calls: list[float] = []

    def stalling(environ, start_response):
        calls.append(time.monotonic())
        if len(calls) == 1:
            time.sleep(3)
        return Response(b'{"ok": true}', content_type="application/json")(
            environ, start_response)

    sleeps: list[float] = []
    began = time.monotonic()
    response = _wire(serve(stalling), sleeps, read_timeout=0.5).call("GET", "/x")
    assert response.json() == {"ok": True}
    assert len(calls) == 2 and calls[1] - calls[0] < 2.5  # gave up well before the 3 s
    assert time.monotonic() - began < 2.5 and len(sleeps) == 1

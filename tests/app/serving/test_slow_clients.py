"""Slow clients cannot starve the production server (`gunicorn -c gunicorn.conf.py wsgi:app`).

One real gunicorn process on PostgreSQL, with the README's command and config, made small and
quick: one worker of two threads, REQUEST_TIMEOUT 2 s, UPLOAD_MIN_RATE 20 KB/s. Slow
connections outnumber its threads two hundred times over.
"""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from app.extensions import db
from tests.conftest import _postgres_database
from tests.helpers import free_port
from tests.openrosa.fixtures import (
    jpeg,
    migrated_with_site_form,
    site_instance,
)

ROOT = Path(__file__).resolve().parents[3]
TIMEOUT = 2
MIN_RATE = 20_000


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The production command on a fresh PostgreSQL database, with a Collect form and token."""
    databases = _postgres_database()
    url = next(databases)
    storage = tmp_path_factory.mktemp("storage")
    app, project_id, _ = migrated_with_site_form(url, storage, "Slow links", name="2G phone",
                                                 token="slow-token")
    left_pending = _committed_but_not_processed(app, project_id)
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "STORAGE_DIR": str(storage), "SECRET_KEY": "slow",
           "PUBLIC_URL": f"http://127.0.0.1:{port}", "BIND": f"127.0.0.1:{port}",
           "WEB_CONCURRENCY": "1", "GUNICORN_THREADS": "2", "REQUEST_TIMEOUT": str(TIMEOUT),
           "UPLOAD_MIN_RATE": str(MIN_RATE)}
    env.pop("REDIS_URL", None)
    env.pop("GUNICORN_WORKER_CLASS", None)
    access_log = storage / "access.log"
    # A blob half-written when a worker was killed: the server's start-up removes it.
    stale = storage / "blobs" / "ab" / "cd" / ".tmp-killed"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"half")
    os.utime(stale, (time.time() - 3600, time.time() - 3600))
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--access-logfile",
         str(access_log), "--log-level", "warning", "wsgi:app"], cwd=ROOT, env=env)
    try:
        for _ in range(300):
            assert process.poll() is None, "gunicorn exited"
            try:
                if requests.get(f"http://127.0.0.1:{port}/health", timeout=2).ok:
                    break
            except requests.RequestException:
                time.sleep(0.1)
        yield {"port": port, "app": app, "base": f"/v1/key/slow-token/projects/{project_id}",
               "access_log": access_log, "stale_temp": stale, "left_pending": left_pending}
    finally:
        process.terminate()
        process.wait(timeout=30)
        with app.app_context():
            db.engine.dispose()
        next(databases, None)


def _committed_but_not_processed(app, project_id: int) -> int:
    """A submission whose process died between its COMMIT and the inline pipeline run (the
    hand-over after the commit never happens); -> its outbox row's id."""
    from app.models import PipelineOutbox
    from app.pipeline import dispatch
    from sync.ingest import ingest

    with app.app_context(), pytest.MonkeyPatch.context() as patch:
        patch.setattr(dispatch, "after_commit", lambda *args, **kwargs: None)
        result = ingest(project_id=project_id, xml=site_instance(f"uuid:{uuid.uuid4()}"),
                        attachments={}, channel="collect", submitter_id=None, device_id=None)
        [outbox_id] = result.outbox_ids
        assert db.session.get(PipelineOutbox, outbox_id).processed_at is None
        db.session.rollback()
        db.engine.dispose()
    return outbox_id


def _open(port: int, head: bytes) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(head)
    return sock


def _slow_header(port: int) -> socket.socket:
    return _open(port, b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")


def _slow_body(port: int, base: str) -> socket.socket:
    return _open(port, (f"POST {base}/submission HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        "Content-Type: multipart/form-data; boundary=b\r\n"
                        "Content-Length: 500000\r\n\r\n--b").encode())


def _health_latency(port: int) -> float:
    start = time.perf_counter()
    response = requests.get(f"http://127.0.0.1:{port}/health", timeout=10)
    assert response.status_code == 200
    return time.perf_counter() - start


def _answer(sock: socket.socket, timeout: float) -> bytes:
    """What the server sends before it closes (b"" when it closes without a word)."""
    sock.settimeout(timeout)
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except TimeoutError:
        raise AssertionError(f"still open after {timeout} s; got {data[:80]!r}") from None
    return data


def _multipart(xml: bytes, photo: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"xml_submission_file\"; "
            "filename=\"submission.xml\"\r\nContent-Type: text/xml\r\n\r\n").encode() + xml + (
        f"\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"photo.jpg\"; "
        "filename=\"photo.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n").encode() + photo + (
        f"\r\n--{boundary}--\r\n").encode()
    return body, f"multipart/form-data; boundary={boundary}"


def _start_submission(server, photo_size: int, extra: str = "") -> tuple[socket.socket, bytes,
                                                                          str]:
    """A Collect POST (XML + a photo): its headers sent; the socket, its body, its instanceID."""
    iid = f"uuid:{uuid.uuid4()}"
    body, content_type = _multipart(site_instance(iid, photo="photo.jpg"), jpeg(photo_size))
    sock = _open(server["port"], (
        f"POST {server['base']}/submission?deviceID=collect:2g HTTP/1.1\r\n"
        f"Host: 127.0.0.1\r\nX-OpenRosa-Version: 1.0\r\nContent-Type: {content_type}\r\n"
        f"{extra}Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode())
    return sock, body, iid


def _trickle_submission(server, rate: float) -> tuple[bytes, str]:
    """A Collect POST (XML + a 120 KB photo) sent at `rate` bytes/s; the server's answer."""
    sock, body, iid = _start_submission(server, 120_000)
    piece = int(rate / 10)
    try:
        for start in range(0, len(body), piece):
            sock.sendall(body[start:start + piece])
            time.sleep(0.1)
    except OSError:
        pass  # refused mid-way: read the answer
    answer = _answer(sock, TIMEOUT + 5)
    sock.close()
    return answer, iid


def _stored(server, instance_id: str) -> int:
    from app.models import Submission

    with server["app"].app_context():
        count = db.session.scalar(select(func.count()).select_from(Submission).where(
            Submission.instance_id == instance_id))
        db.session.remove()
        return count


def test_health_answers_within_a_second_while_slow_header_and_body_clients_hold_connections(
        server):
    port = server["port"]
    # The numbers: 200 slow-header and 200 slow-body connections, against 2 threads.
    held = [_slow_header(port) for _ in range(200)] + [
        _slow_body(port, server["base"]) for _ in range(200)]
    try:
        time.sleep(0.3)
        for sock in held:
            sock.sendall(b"X" if sock.fileno() % 2 else b"X-Slow: 1\r\n")
        latencies = [_health_latency(port) for _ in range(10)]
    finally:
        for sock in held:
            sock.close()
    assert max(latencies) < 1.0, latencies


def test_slow_header_and_slow_body_requests_are_answered_408_and_closed_after_the_timeout(
        server):
    port = server["port"]
    began = time.monotonic()
    header, body = _slow_header(port), _slow_body(port, server["base"])
    header.sendall(b"X-Slow: 1\r\n")
    body.sendall(b"-")
    for sock in (header, body):
        answer = _answer(sock, TIMEOUT + 3)
        assert answer.startswith(b"HTTP/1.1 408 "), answer[:60]
        assert b'"code":408.0' in answer
        sock.close()
    assert TIMEOUT <= time.monotonic() - began < TIMEOUT + 2.5


def test_a_large_collect_upload_at_2g_speed_beyond_the_timeout_is_stored(server):
    began = time.monotonic()
    answer, iid = _trickle_submission(server, rate=MIN_RATE * 2)
    assert time.monotonic() - began > TIMEOUT * 1.2  # it did take longer than the timeout
    assert answer.startswith(b"HTTP/1.1 201 "), answer[:200]
    assert _stored(server, iid) == 1


def test_an_upload_slower_than_the_minimum_rate_is_refused_408_and_not_stored(server):
    answer, iid = _trickle_submission(server, rate=MIN_RATE / 4)
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
    assert b"slower than 20000 bytes/s" in answer
    assert _stored(server, iid) == 0


def test_a_body_declared_over_the_size_limit_is_refused_413_before_it_is_sent(server):
    sock = _open(server["port"], (
        f"POST {server['base']}/submission HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: multipart/form-data; boundary=b\r\n"
        f"Content-Length: {10 ** 12}\r\n\r\n").encode())
    answer = _answer(sock, 2)
    sock.close()
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert b'"code":413.1' in answer


def test_expect_100_continue_gets_one_interim_answer_then_the_submission_is_stored(server):
    sock, body, iid = _start_submission(server, 4000, extra="Expect: 100-continue\r\n")
    sock.settimeout(5)
    assert sock.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
    sock.sendall(body)
    answer = _answer(sock, 5)
    sock.close()
    assert answer.startswith(b"HTTP/1.1 201 ")
    assert b"100 Continue" not in answer
    assert _stored(server, iid) == 1


def test_pipelined_and_chunked_requests_on_one_connection_are_all_answered(server):
    chunked = (f"HEAD {server['base']}/submission HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               "X-OpenRosa-Version: 1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
    get = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    last = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    sock = _open(server["port"], (get + chunked + last).encode())
    answer = _answer(sock, 5)
    sock.close()
    assert re.findall(rb"HTTP/1\.1 (\d{3}) ", answer) == [b"200", b"204", b"200"]


def test_a_collect_session_keeps_its_connection_alive_between_requests(server):
    session = requests.Session()
    url = f"http://127.0.0.1:{server['port']}{server['base']}/formList"
    for _ in range(3):
        assert session.get(url, headers={"X-OpenRosa-Version": "1.0"}, timeout=5).ok
    assert len(session.get_adapter(url).poolmanager.pools) == 1


def test_the_access_log_names_no_token_from_a_url(server):
    base = f"http://127.0.0.1:{server['port']}"
    requests.get(f"{base}{server['base']}/formList?token=q-secret", timeout=5)
    requests.delete(f"{base}/v1/sessions/session-secret", timeout=5)
    time.sleep(0.3)
    log = server["access_log"].read_text()
    assert "/v1/key/[redacted]/projects/" in log and "token=[redacted]" in log
    assert "/v1/sessions/[redacted]" in log
    for secret in ("slow-token", "q-secret", "session-secret"):
        assert secret not in log


def test_the_server_removed_a_stale_half_written_blob_at_start_up(server):
    assert not server["stale_temp"].exists()


def test_the_server_processed_what_a_crashed_process_left_pending_at_start_up(server):
    """With no Redis the pipeline runs inline after each commit; a submission committed just
    before a crash is processed when the server starts again, not left for a manual drain."""
    from app.models import PipelineOutbox

    with server["app"].app_context():
        row = db.session.get(PipelineOutbox, server["left_pending"])
        assert row is not None and row.processed_at is not None
        db.session.rollback()
        db.engine.dispose()

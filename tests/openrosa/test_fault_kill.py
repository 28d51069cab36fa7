"""A gunicorn worker SIGKILLed mid-upload loses nothing and doubles nothing: Collect's retry
after the restart stores exactly one complete submission."""
from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text

from tests.helpers import free_port
from tests.openrosa.fixtures import (
    jpeg,
    migrated_with_site_form,
    site_instance,
)

ROOT = Path(__file__).resolve().parents[2]


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def _wait_for_worker(master: int, port: int, exclude: int | None = None) -> int:
    for _ in range(600):
        workers = [w for w in _children(master) if w != exclude]
        if workers:
            try:
                if requests.get(f"http://127.0.0.1:{port}/v1/projects/1/formList",
                                timeout=5).status_code:
                    return workers[0]
            except requests.RequestException:
                pass
        time.sleep(0.05)
    raise AssertionError("gunicorn worker did not come up")


@pytest.fixture
def gunicorn_server(tmp_path):
    url = f"sqlite:///{tmp_path / 'fault.sqlite3'}"
    storage = tmp_path / "storage"
    _, project_id, token = migrated_with_site_form(url, storage, "Field office", name="phone")
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "STORAGE_DIR": str(storage),
           "SECRET_KEY": "fault", "PUBLIC_URL": f"http://127.0.0.1:{port}"}
    env.pop("REDIS_URL", None)
    master = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}", "--timeout",
         "60", "--log-level", "warning", "wsgi:app"], cwd=ROOT, env=env)
    try:
        yield {"url": url, "port": port, "master": master, "project_id": project_id,
               "token": token, "storage": storage}
    finally:
        master.send_signal(signal.SIGTERM)
        master.wait(timeout=30)


def test_worker_killed_mid_upload_then_retry_stores_exactly_one_complete_submission(
        gunicorn_server):
    server = gunicorn_server
    port, master = server["port"], server["master"].pid
    worker = _wait_for_worker(master, port)
    path = f"/v1/key/{server['token']}/projects/{server['project_id']}/submission"
    xml = site_instance("uuid:five-mb", photo="big.jpg")
    photo = jpeg(5 * 1024 * 1024, seed=5)
    prepared = requests.Request("POST", f"http://127.0.0.1:{port}{path}", files={
        "xml_submission_file": ("submission.xml", xml, "text/xml"),
        "big.jpg": ("big.jpg", photo, "image/jpeg")}).prepare()
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            + "".join(f"{k}: {v}\r\n" for k, v in prepared.headers.items()) + "\r\n").encode()

    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(head + prepared.body[: len(prepared.body) // 2])
        time.sleep(0.3)  # the worker is reading the body
        os.kill(worker, signal.SIGKILL)
        with pytest.raises(OSError):
            sock.sendall(prepared.body[len(prepared.body) // 2:])
            if not sock.recv(1024):
                raise ConnectionResetError("closed without an answer")

    _wait_for_worker(master, port, exclude=worker)
    engine = create_engine(server["url"])
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM submissions")).scalar() == 0

    retry = requests.post(f"http://127.0.0.1:{port}{path}", files={
        "xml_submission_file": ("submission.xml", xml, "text/xml"),
        "big.jpg": ("big.jpg", photo, "image/jpeg")}, timeout=60)
    assert retry.status_code == 201
    again = requests.post(f"http://127.0.0.1:{port}{path}", files={
        "xml_submission_file": ("submission.xml", xml, "text/xml")}, timeout=60)
    assert again.status_code == 201
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM submissions")).scalar() == 1
        assert conn.execute(text("SELECT count(*) FROM pipeline_outbox")).scalar() == 1
        sha256, md5 = conn.execute(text(
            "SELECT b.sha256, b.md5 FROM submission_attachments a JOIN blobs b "
            "ON b.id = a.blob_id WHERE a.name = 'big.jpg'")).one()
    engine.dispose()
    assert md5 == hashlib.md5(photo).hexdigest()
    stored = server["storage"] / "blobs" / sha256[:2] / sha256
    assert stored.read_bytes() == photo

"""Pipeline fixtures: a fake classifier, instance XML for the fixture forms, Redis helpers."""
from __future__ import annotations

import shutil
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass

import pytest

from app.pipeline import tagging
from tests.conftest import _unavailable
from tests.helpers import free_port


@dataclass(frozen=True)
class Scored:
    goal: int
    score: float


class FakeClassifier:
    """Keyword rules: enough to see free text become `model` tags without the real model."""

    version = "fake-1"
    RULES = {"water": (6, 0.9), "maji": (6, 0.85), "school": (4, 0.8), "violence": (5, 0.7)}

    def __init__(self) -> None:
        self.calls: list[str] = []

    def classify(self, text: str, lang: str | None = None) -> list[Scored]:
        self.calls.append(text)
        words = text.lower()
        found: dict[int, float] = {}
        for word, (goal, score) in self.RULES.items():
            if word in words:
                found[goal] = max(found.get(goal, 0.0), score)
        return sorted((Scored(g, s) for g, s in found.items()), key=lambda x: -x.score)


@pytest.fixture(autouse=True)
def fake_classifier():
    fake = FakeClassifier()
    tagging.set_classifier(fake)
    yield fake
    tagging.set_classifier(None)


def water_xml(version: str, instance_id: str | None = None, **answers: str) -> bytes:
    """A water_point instance as Collect would send it; keyword args override answers."""
    values = {"consent": "yes", "county": "kisumu", "ward": "kondele", "water_source": "other",
              "source_other": "  Water  kiosk ", "functional": "no", "days_broken": "12",
              "minutes_to_fetch": "45", "who_fetches": "women girls", "price": "",
              "households": "120", "location": "-0.0917 34.768 1150 5",
              "comments": "The school has no clean water", "start": "2026-11-20T08:00:00.000+03:00",
              "end": "2026-11-20T08:10:00.000+03:00"}
    values.update(answers)
    wp = "".join(f"<{k}>{values[k]}</{k}>" for k in (
        "county", "ward", "water_source", "source_other", "functional", "days_broken",
        "minutes_to_fetch", "who_fetches", "price", "households", "location", "comments"))
    iid = instance_id or f"uuid:{uuid.uuid4()}"
    return (f'<data xmlns:jr="http://openrosa.org/javarosa" id="water_point" '
            f'version="{version}"><consent>{values["consent"]}</consent><wp>{wp}</wp><thanks/>'
            f'<start>{values["start"]}</start><end>{values["end"]}</end>'
            f'<meta><instanceID>{iid}</instanceID></meta></data>').encode()


@pytest.fixture
def water_form(make_project, publish_fixture):
    """A project with water_point published; returns the Form."""
    return publish_fixture(make_project(), "water_point")


@pytest.fixture
def submit(app):
    """Store an instance through the one door (sync.ingest); returns the IngestResult."""
    from sync.ingest import ingest

    def do(form, xml: bytes):
        return ingest(project_id=form.project_id, xml=xml, attachments={}, channel="api",
                      submitter_id=None, device_id=None)

    return do


@pytest.fixture
def queued(app, redis_url, queue_prefix):
    """Queued mode on the shared Redis, under a prefix no other test (or run) uses."""
    app.config.update(REDIS_URL=redis_url, PIPELINE_RETRY_INTERVALS=[0])
    return app


class PrivateRedis:
    """A redis-server of our own, so a test may stop and start it without hurting others."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [shutil.which("redis-server") or "redis-server", "--port", str(self.port),
             "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def private_redis():
    if shutil.which("redis-server") is None:
        _unavailable("Redis (a redis-server binary for a private server)")
    server = PrivateRedis()
    yield server
    server.stop()

"""Shared fixtures: an app per database backend, a client, a CLI runner, a live server.

Database tests run on SQLite always and on PostgreSQL when TEST_DATABASE_URL is set. With
REQUIRE_SERVICES=1 (as CI sets it) a missing PostgreSQL or Redis fails the run instead of
skipping, so a green CI always means both were exercised.
"""
from __future__ import annotations

import gc
import os
import resource
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from werkzeug.serving import make_server

from app import create_app, migrate
from app.config import sqlalchemy_url
from app.extensions import db

# Modules the tests import that make assertions of their own: rewritten as test modules are,
# so a failure there shows its values (registered before any test module imports them).
pytest.register_assert_rewrite(
    "tests.helpers", "tests.app.quarantine_worker", "tests.app.messaging.helpers",
    "tests.openrosa.collect_client", "tests.openrosa.helpers", "tests.sms_flows.engine_support")

FIXTURE_FORMS = Path(__file__).parent / "fixtures" / "forms"
REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def _unavailable(what: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"{what} is required (REQUIRE_SERVICES=1) but not available")
    pytest.skip(f"{what} not configured")


def _postgres_database() -> Iterator[str]:
    """A fresh database per test session, so parallel runs never see each other's rows."""
    server_url = os.environ.get("TEST_DATABASE_URL")
    if not server_url:
        _unavailable("PostgreSQL (TEST_DATABASE_URL)")
    server_url = sqlalchemy_url(server_url)
    name = f"dsc_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # a down server must fail loudly under CI
        _unavailable(f"PostgreSQL at {server_url} ({error.__class__.__name__})")
    base, _, _ = server_url.rpartition("/")
    yield f"{base}/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def database_url(request, tmp_path_factory) -> Iterator[str]:
    """A migrated, empty database of each backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
        migrate.upgrade(url)
        yield url
        return
    for url in _postgres_database():
        migrate.upgrade(url)
        yield url


@pytest.fixture(autouse=True)
def _address_space_kept() -> Iterator[None]:
    """A test that runs `flask worker --burst` in this process caps its address space as a
    worker caps its own (app/worker.py cap_memory); the soft limit goes back afterwards, or
    every later test would run inside it (Chromium and ODK Validate's JVM fail to start).
    The worker also freezes the objects loaded so far out of garbage collection (before RQ
    forks): they are unfrozen again, or the test process's cycles would never be freed."""
    before = resource.getrlimit(resource.RLIMIT_AS)
    yield
    if resource.getrlimit(resource.RLIMIT_AS) != before:
        resource.setrlimit(resource.RLIMIT_AS, before)
    if gc.get_freeze_count():
        gc.unfreeze()


def _empty_all_tables() -> None:
    tables = list(reversed(db.metadata.sorted_tables))
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        db.session.execute(text("UPDATE forms SET current_version_id = NULL, "
                                "draft_version_id = NULL"))
        for table in tables:
            db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture
def app(database_url, tmp_path):
    """The app on one backend, emptied after each test."""
    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "STORAGE_DIR": str(tmp_path / "storage"),
        "SECRET_KEY": "test-secret",
        "PHONE_HASH_KEY": "test-phone-key",
        "REDIS_URL": None,
        "PUBLIC_URL": "http://localhost",
        "ODK_VALIDATE": False,
    })
    with app.app_context():
        yield app
        db.session.remove()
        _empty_all_tables()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def live_server(app):
    """The app served over real HTTP in a thread (for pyodk and Collect-like clients)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_port}"
    app.config["PUBLIC_URL"] = server.url
    yield server
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("REDIS_URL")
    if not url:
        _unavailable("Redis (REDIS_URL)")
    import redis

    try:
        redis.Redis.from_url(url).ping()
    except Exception as error:
        _unavailable(f"Redis at {url} ({error.__class__.__name__})")
    return url


@pytest.fixture
def queue_prefix(app, redis_url) -> Iterator[str]:
    """A QUEUE_PREFIX no other test (or run) uses on the shared Redis; every key under it (RQ's
    and ours) is deleted after the test. Sets no REDIS_URL: the test or its fixture does."""
    import redis

    prefix = f"t{uuid.uuid4().hex[:12]}"
    app.config.update(QUEUE_PREFIX=prefix)
    yield prefix
    conn = redis.Redis.from_url(redis_url)
    keys = [*conn.scan_iter(f"rq:*{prefix}*"), *conn.scan_iter(f"{prefix}*")]
    if keys:
        conn.delete(*keys)


@pytest.fixture
def fake_classifier() -> Iterator[None]:
    """Tagging is not under test: keyword rules instead of the trained model (which
    `flask worker` loads at start)."""
    from app.pipeline import tagging
    from tests.pipeline.conftest import FakeClassifier

    tagging.set_classifier(FakeClassifier())
    yield
    tagging.set_classifier(None)


PASSWORD = "correct horse battery staple"


@pytest.fixture
def make_user(app):
    """Create a web user; `roles` maps project ids to a role on each."""
    from app.services import accounts, projects

    def make(email: str, *, admin: bool = False, roles: dict[int, str] | None = None):
        user = accounts.create_user(email, PASSWORD, admin=admin)
        for project_id, role in (roles or {}).items():
            projects.assign_role(project_id, user.actor_id, role)
        db.session.commit()
        return user

    return make


@pytest.fixture
def login(client):
    """Bearer headers for a user, through the real `POST /v1/sessions`."""

    def do_login(email: str, password: str = PASSWORD) -> dict[str, str]:
        response = client.post("/v1/sessions", json={"email": email, "password": password})
        assert response.status_code == 200, response.get_json()
        return {"Authorization": f"Bearer {response.get_json()['token']}"}

    return do_login


@pytest.fixture
def admin_headers(make_user, login):
    make_user("admin@example.org", admin=True)
    return login("admin@example.org")


@pytest.fixture
def make_project(app):
    from app.services.projects import create_project

    def make(name: str = "Water CSO") -> int:
        project = create_project(name)
        db.session.commit()
        return project.id

    return make


@pytest.fixture
def publish_fixture(app):
    """Publish one of tests/fixtures/forms/*.xlsx into a project; returns the Form."""
    from app.services.forms import create_form
    from forms.xlsform import compile_upload

    def publish(project_id: int, name: str, *, validate: bool = False):
        path = FIXTURE_FORMS / f"{name}.xlsx"
        compiled = compile_upload(
            path.read_bytes(),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            path.name, validate=validate, ignore_warnings=True)
        form = create_form(project_id, compiled, None, publish=True)
        db.session.commit()
        return form

    return publish

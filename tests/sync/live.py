"""Two live servers for the sync tests: a central server on PostgreSQL and a field office on
SQLite, each a real app served over HTTP on loopback in its own thread.

The tests hold neither app's context by default: `with central.ctx():` / `with field.ctx():`
say which database a step reads or writes.
"""
from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from app import create_app, migrate
from app.extensions import db
from tests.conftest import FIXTURE_FORMS, _empty_all_tables, _postgres_database

ROOT = Path(__file__).resolve().parents[2]
SHARED_FORMS = ("escuela", "health_post", "sdg5_safety", "water_point")


@dataclass
class Server:
    app: Flask
    url: str
    http: BaseWSGIServer

    def ctx(self):
        return self.app.app_context()


def make_app(database_url: str, storage: Path, **config) -> Flask:
    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url,
                       "STORAGE_DIR": str(storage), "SECRET_KEY": f"secret-{storage.name}",
                       "PHONE_HASH_KEY": "test-phone-key", "REDIS_URL": None,
                       "ODK_VALIDATE": False, "SYNC_BACKOFF_SECONDS": 0.02,
                       "SYNC_RETRIES": 12, **config})


def serve(app: Flask) -> Iterator[Server]:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request is noise
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{http.server_port}"
    app.config["PUBLIC_URL"] = url
    try:
        yield Server(app, url, http)
    finally:
        http.shutdown()
        thread.join(timeout=10)
        with app.app_context():
            db.session.remove()
            _empty_all_tables()
            db.engine.dispose()


@pytest.fixture(scope="session")
def central_database_url() -> Iterator[str]:
    for url in _postgres_database():
        migrate.upgrade(url)
        yield url


@pytest.fixture(scope="session")
def field_database_url(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('field') / 'field.sqlite3'}"
    migrate.upgrade(url)
    return url


@pytest.fixture
def central(central_database_url, tmp_path) -> Iterator[Server]:
    yield from serve(make_app(central_database_url, tmp_path / "central"))


@pytest.fixture
def field(field_database_url, tmp_path) -> Iterator[Server]:
    yield from serve(make_app(field_database_url, tmp_path / "field"))


def publish_shared_forms(project_id: int) -> dict[str, object]:
    """The four shared XLSForms, published (inside an app context)."""
    from app.services.forms import create_form
    from forms.xlsform import compile_upload

    out = {}
    for name in SHARED_FORMS:
        path = FIXTURE_FORMS / f"{name}.xlsx"
        compiled = compile_upload(path.read_bytes(), None, path.name, validate=False,
                                  ignore_warnings=True)
        out[name] = create_form(project_id, compiled, None, publish=True)
    db.session.commit()
    return out


def new_link(project_id: int, name: str = "Turkana office") -> str:
    """A sync link's token (inside the central server's app context)."""
    from app.services import sync_links

    _, token = sync_links.create_link(project_id, name, None)
    db.session.commit()
    return token


def flask_process(server: Server, *args: str, **settings: str) -> subprocess.Popen:
    """`flask --app wsgi ...` in a process of its own, configured as `server`'s app (the same
    database, storage and keys): what an operator or cron runs beside the server."""
    app = server.app
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("REDIS_URL", "DATABASE_URL", "TEST_DATABASE_URL"))}
    env.update(DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
               STORAGE_DIR=app.config["STORAGE_DIR"], SECRET_KEY=app.config["SECRET_KEY"],
               PHONE_HASH_KEY=app.config["PHONE_HASH_KEY"], ODK_VALIDATE="0",
               SYNC_BACKOFF_SECONDS="0.05", SYNC_RETRIES="12", PYTHONUNBUFFERED="1",
               **settings)
    return subprocess.Popen([str(Path(sys.executable).parent / "flask"), "--app", "wsgi",
                             *args], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)

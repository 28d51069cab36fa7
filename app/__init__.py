"""Application factory: configuration, extensions, blueprints, CLI. No logic lives here."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import event

from app import config as config_module
from app.extensions import db
from app.serving import redact
from app.serving.pool import ping_when_idle


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app from the environment, overridden by `config` (tests pass their own)."""
    app = Flask(__name__, instance_path=str(config_module.INSTANCE_DIR))
    app.config.update(config_module.from_environment())
    if config:
        app.config.update(config)
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", _engine_options(app.config))
    # Werkzeug refuses bodies over this before the view reads them; views apply their own limits.
    app.config["MAX_CONTENT_LENGTH"] = (
        max(app.config["MAX_SUBMISSION_BYTES"], app.config["MAX_FORM_UPLOAD_BYTES"]) + 1024 * 1024
    )
    app.json.sort_keys = False
    Path(app.config["STORAGE_DIR"]).mkdir(parents=True, exist_ok=True)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")
    redact.install()  # the development server's access log names Collect's URL tokens

    db.init_app(app)
    with app.app_context():
        _tune_sqlite(db.engine)
        if db.engine.dialect.name == "postgresql":
            ping_when_idle(db.engine, float(app.config["DATABASE_PING_IDLE_SECONDS"]))

    from app import cli, pipeline
    from app.web import errors, register_blueprints
    from app.web.proxies import trust_proxies

    trust_proxies(app)
    errors.init_app(app)
    register_blueprints(app)
    pipeline.init_app(app)
    cli.init_app(app)
    return app


def _tune_sqlite(engine) -> None:
    """On SQLite: enforce foreign keys, let readers and a writer work at once (WAL), and
    fsync every commit (FULL), since a 201 promises the data is on disk."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()


def _engine_options(config: dict[str, Any]) -> dict[str, Any]:
    uri = config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite"):
        # Several threads (the dev server, live-server tests) share one file; wait on its lock
        # instead of failing at once.
        return {"connect_args": {"timeout": 30, "check_same_thread": False}}
    # A connection per gunicorn thread (8) kept in the pool: with SQLAlchemy's 5, busy
    # threads opened and closed overflow connections all the time (a PostgreSQL backend
    # started per request).
    # Idle connections are pinged before use (app/serving/pool.py), not every checkout.
    # JSON columns keep the standard library's json.dumps: orjson was faster per submission,
    # but the largest submission allowed (a 100 MiB answer) no longer fit the pipeline job's
    # memory cap with it (bench/poison.py).
    return {"pool_size": 10, "max_overflow": 10}

"""Pooled PostgreSQL connections are pinged only after sitting idle (app/serving/pool.py): a
busy pool costs no ping round trip, and a connection closed while idle (a restart, a proxy's
timeout) is replaced before a request can fail on it."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from app.extensions import db


@pytest.fixture
def pings(app, database_url, monkeypatch) -> list[int]:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has no server to lose a connection to")
    dialect = db.engine.dialect
    calls: list[int] = []
    real = dialect.do_ping

    def counted(dbapi_connection):
        calls.append(1)
        return real(dbapi_connection)

    monkeypatch.setattr(dialect, "do_ping", counted)
    return calls


def _backend_pid() -> int:
    pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
    db.session.remove()  # back to the pool
    return pid


def test_a_busy_connection_is_not_pinged(app, pings):
    first = _backend_pid()
    for _ in range(5):
        assert _backend_pid() == first
    assert pings == []


def test_an_idle_connection_is_pinged_and_a_dead_one_replaced(app, pings, monkeypatch):
    import app.serving.pool as pool

    first = _backend_pid()
    # Idle for longer than the threshold: move the clock, not the test's wall time.
    later = time.monotonic() + 3600
    monkeypatch.setattr(pool.time, "monotonic", lambda: later)
    assert _backend_pid() == first
    assert len(pings) == 1  # idle: pinged, alive, reused

    # The server closes it while it sits in the pool (as a restart would).
    outside = create_engine(db.engine.url, poolclass=NullPool)
    with outside.connect() as other:
        other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        other.commit()
    outside.dispose()
    later += 3600
    replaced = _backend_pid()  # no error: the dead one was replaced before use
    assert replaced != first
    assert len(pings) == 2


def test_an_idle_connection_within_the_threshold_is_used_without_ping(app, pings):
    _backend_pid()
    time.sleep(0.05)
    _backend_pid()
    assert pings == []

"""PostgreSQL pool health: a pooled connection that sat idle is pinged before use; a busy one
is not.

SQLAlchemy's `pool_pre_ping` pings on every checkout: a round trip per request (a fifth of a
Collect submission's web CPU, and a backend wakeup in PostgreSQL). A connection that was in use
moments ago is almost always alive; the ones a restart, a failover or a proxy's idle timeout
closed are the ones that sat. If a connection dies while busy, the statement fails and
SQLAlchemy invalidates the whole pool (every connection older than the failure), so one
request per process sees the restart and the next ones reconnect.
"""
from __future__ import annotations

import time

from sqlalchemy import event, exc
from sqlalchemy.engine import Engine

_USED_AT = "datashift_used_at"


def ping_when_idle(engine: Engine, idle_seconds: float) -> None:
    """On checkout, ping a connection last returned to the pool over `idle_seconds` ago; a
    dead one is replaced (the pool retries the checkout with a new connection)."""

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection, record) -> None:
        record.info[_USED_AT] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _taken(dbapi_connection, record, _proxy) -> None:
        used_at = record.info.get(_USED_AT)
        if used_at is None or time.monotonic() - used_at < idle_seconds:
            return  # new (just connected) or busy
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            raise exc.DisconnectionError("the idle pooled connection was closed") from error

"""The SQL dialect differences, in one small place: upsert and insert-or-skip (ON CONFLICT),
row locks (FOR UPDATE), bulk COPY, and a write of dependent INSERTs sent as one statement.

Everything else is plain SQLAlchemy Core that runs on PostgreSQL and SQLite alike.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Insert, Table
from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db


def dialect() -> str:
    """"postgresql" or "sqlite": the dialect of the session's bind."""
    return db.engine.dialect.name


def _insert(table: Table) -> Any:
    return (postgresql if dialect() == "postgresql" else sqlite).insert(table)


def insert_or_skip(table: Table, keys: Sequence[str]) -> Insert:
    """INSERT ... ON CONFLICT (keys) DO NOTHING: a row whose key exists is skipped (and,
    with RETURNING, returns nothing)."""
    return _insert(table).on_conflict_do_nothing(index_elements=list(keys))


def upsert(table: Table, keys: Sequence[str], update: Sequence[str]) -> Insert:
    """INSERT ... ON CONFLICT (keys) DO UPDATE SET each `update` column to the new value."""
    statement = _insert(table)
    return statement.on_conflict_do_update(
        index_elements=list(keys), set_={name: statement.excluded[name] for name in update})


def copy_rows(table: Table, rows: Sequence[Mapping[str, Any]]) -> bool:
    """PostgreSQL's COPY of `rows` into `table`, in the session's transaction; -> False (nothing
    done) elsewhere, for the caller's executemany INSERT. COPY streams many small rows without
    a statement per row."""
    if dialect() != "postgresql" or not rows:
        return False
    columns = list(rows[0])
    raw = db.session.connection().connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(
            f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[name] for name in columns])
    return True

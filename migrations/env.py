"""Alembic environment: the URL comes from the caller (app.migrate) or DATABASE_URL.

Migrations are self-contained (op and sa only); no model is imported here.
"""
from __future__ import annotations

import os

from alembic import context
from sqlalchemy import engine_from_config, pool

config = context.config
url = config.attributes.get("url") or config.get_main_option("sqlalchemy.url") \
    or os.environ.get("DATABASE_URL")


def run_offline() -> None:
    context.configure(url=url, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = engine_from_config({"sqlalchemy.url": url}, prefix="sqlalchemy.",
                                poolclass=pool.NullPool)
    with engine.connect() as conn:
        _run(conn)


def _run(connection) -> None:
    # Batch mode lets ALTER-heavy migrations work on SQLite too.
    context.configure(connection=connection, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()

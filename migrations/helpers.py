"""What the revisions share: column types and tables and constraints named the way
Alembic's `op.f` conventions name them (pk_<table>, fk_<table>_<column>_<referred table>,
uq_<table>_<columns>, ix_<table>_<column>).

Applied revisions build their schema with these, so a change here changes history: add a new
helper rather than alter one (tests/migrations checks every revision up and down on both
databases against the models).
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

TS = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def create_table(name: str, *elements: sa.schema.SchemaItem,
                 primary_key: Sequence[str] = ("id",)) -> None:
    """op.create_table with its primary key pk_<name>; an `id` key is an integer column, first."""
    columns = [sa.Column("id", sa.Integer(), nullable=False)] if tuple(primary_key) == ("id",) \
        else []
    op.create_table(name, *columns, *elements,
                    sa.PrimaryKeyConstraint(*primary_key, name=op.f(f"pk_{name}")))


def fk(table: str, column: str, referred: str) -> sa.ForeignKeyConstraint:
    """`table.column` references `referred.id`."""
    return sa.ForeignKeyConstraint([column], [f"{referred}.id"],
                                   name=op.f(f"fk_{table}_{column}_{referred}"))


def unique(table: str, *columns: str) -> sa.UniqueConstraint:
    """A unique constraint over `columns`, named uq_<table>_<columns>."""
    return sa.UniqueConstraint(*columns, name=op.f(f"uq_{table}_{'_'.join(columns)}"))


def create_index(table: str, column: str) -> None:
    """A plain index on one column, named ix_<table>_<column>."""
    op.create_index(op.f(f"ix_{table}_{column}"), table, [column], unique=False)


def drop_index(table: str, column: str) -> None:
    """Drops what create_index(table, column) made."""
    op.drop_index(op.f(f"ix_{table}_{column}"), table_name=table)


def create_partial_unique_index(name: str, table: str, columns: list[str], where: str) -> None:
    """A unique index over the rows matching `where` (SQL), on SQLite as on PostgreSQL."""
    op.create_index(name, table, columns, unique=True, sqlite_where=sa.text(where),
                    postgresql_where=sa.text(where))


def drop_partial_unique_index(name: str, table: str, where: str) -> None:
    """Drops what create_partial_unique_index made."""
    op.drop_index(name, table_name=table, sqlite_where=sa.text(where),
                  postgresql_where=sa.text(where))

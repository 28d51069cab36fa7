"""Column helpers shared by the models."""
from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import JSON, DateTime, Index, TypeDecorator, text
from sqlalchemy.dialects.postgresql import JSONB


def utcnow() -> datetime:
    """Now, timezone-aware UTC: every timestamp we store and serve is UTC."""
    return datetime.now(UTC)


def iso(value: datetime | None) -> str | None:
    """The one way we write a timestamp: ISO 8601 UTC with milliseconds and Z, as Central
    (and JavaScript's Date.toISOString) writes them; None stays None."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class UTCDateTime(TypeDecorator):
    """A timestamp that always comes back timezone-aware UTC, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        if value is not None and dialect.name == "sqlite":
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


JSONType = JSON().with_variant(JSONB(), "postgresql")


def partial_unique_index(name: str, *columns: str, where: str) -> Index:
    """A unique index over the rows matching `where` (SQL), on SQLite as on PostgreSQL."""
    return Index(name, *columns, unique=True, sqlite_where=text(where),
                 postgresql_where=text(where))

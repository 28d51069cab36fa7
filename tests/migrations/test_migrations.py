"""Every revision upgrades, downgrades and re-upgrades on SQLite and PostgreSQL; one head."""
from __future__ import annotations

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

from app import migrate
from app.extensions import db
from tests.conftest import _postgres_database


def test_there_is_exactly_one_head():
    script = ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1


@pytest.fixture(params=["sqlite", "postgres"])
def empty_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'm.sqlite3'}"
        return
    yield from _postgres_database()  # a fresh, empty database of its own


def test_each_revision_upgrades_downgrades_and_reupgrades(empty_url):
    script = ScriptDirectory.from_config(migrate.alembic_config(empty_url))
    revisions = [r.revision for r in reversed(list(script.walk_revisions()))]
    previous = "base"
    for revision in revisions:
        migrate.upgrade(empty_url, revision)
        migrate.downgrade(empty_url, previous)
        migrate.upgrade(empty_url, revision)
        previous = revision
    engine = create_engine(empty_url)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert {t.name for t in db.metadata.sorted_tables} <= tables


def test_migrated_schema_matches_the_models(empty_url):
    """Autogenerate finds nothing to do: the migrations and the models agree."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    import app.models  # noqa: F401

    migrate.upgrade(empty_url)
    engine = create_engine(empty_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    engine.dispose()
    assert diff == []

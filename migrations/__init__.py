"""Alembic migrations (run through app.migrate); `migrations.helpers` is what revisions share."""

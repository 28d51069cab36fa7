"""Fixtures for Collect, ingest and submissions tests (shared in tests/openrosa/fixtures.py),
and the two live servers of the sync tests (tests/sync/live.py)."""
from tests.openrosa.fixtures import fresh_g_per_request, make_app_user, site_form  # noqa: F401
from tests.sync.live import (  # noqa: F401
    central,
    central_database_url,
    field,
    field_database_url,
)

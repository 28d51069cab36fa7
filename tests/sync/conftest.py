"""Fixtures for Collect, ingest and submissions tests (shared in tests/openrosa/fixtures.py)."""
from tests.openrosa.fixtures import fresh_g_per_request, make_app_user, site_form  # noqa: F401

"""Fixtures for Collect, ingest and submissions tests (shared in tests/openrosa/fixtures.py)."""
from tests.openrosa.fixtures import make_app_user, site_form  # noqa: F401

"""The two live servers of the sync tests (tests/sync/live.py)."""
from tests.sync.live import (  # noqa: F401
    central,
    central_database_url,
    field,
    field_database_url,
)

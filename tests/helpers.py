"""Helpers shared by tests in several folders (fixtures shared by one folder live in its
conftest.py)."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pyodk.client import Client

from tests.conftest import PASSWORD


@contextmanager
def logged_in_pyodk(base_url: str, username: str, default_project_id: int, tmp_path: Path,
                    **client_options: Any) -> Iterator[Client]:
    """pyodk, unchanged, logged in as `username` (password PASSWORD) against `base_url`, its
    config and token cache under `tmp_path`."""
    config = tmp_path / "pyodk_config.toml"
    config.write_text(f'[central]\nbase_url = "{base_url}"\n'
                      f'username = "{username}"\npassword = "{PASSWORD}"\n'
                      f"default_project_id = {default_project_id}\n")
    with Client(config_path=str(config), cache_path=str(tmp_path / "cache.toml"),
                **client_options) as client:
        yield client

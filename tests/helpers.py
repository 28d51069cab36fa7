"""Helpers shared by tests in several folders (fixtures shared by one folder live in its
conftest.py)."""
from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests

if TYPE_CHECKING:
    from pyodk.client import Client


@contextmanager
def logged_in_pyodk(base_url: str, username: str, default_project_id: int, tmp_path: Path,
                    **client_options: Any) -> Iterator[Client]:
    """pyodk, unchanged, logged in as `username` (password PASSWORD) against `base_url`, its
    config and token cache under `tmp_path`."""
    from pyodk.client import Client

    from tests.conftest import PASSWORD

    config = tmp_path / "pyodk_config.toml"
    config.write_text(f'[central]\nbase_url = "{base_url}"\n'
                      f'username = "{username}"\npassword = "{PASSWORD}"\n'
                      f"default_project_id = {default_project_id}\n")
    with Client(config_path=str(config), cache_path=str(tmp_path / "cache.toml"),
                **client_options) as client:
        yield client


def refused_connection() -> requests.ConnectionError:
    """The exact exception requests raises when nothing listens (a closed local port). Make it
    before `responses` intercepts every request."""
    try:
        requests.post("http://127.0.0.1:9/", timeout=1)
    except requests.ConnectionError as error:
        return error
    raise AssertionError("port 9 answered")


def simulator_channel(project_id: int, kind: str, address: str):
    """A channel of the built-in simulator provider (no credentials), made as the API does."""
    from app.messaging import channels

    return channels.create_channel(project_id, provider="simulator", kind=kind,
                                   address=address, credentials={}, settings={}, actor_id=None)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (for a server the test starts)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]

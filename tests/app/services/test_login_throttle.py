"""Login throttling behind proxies: per account and client address, exponential back-off, a
ceiling per address; the client address from X-Forwarded-For only as far as TRUSTED_PROXY says."""
from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import LoginAttempt
from app.services.login_throttle import pair_key
from app.web.proxies import trust_proxies
from tests.conftest import PASSWORD

EMAIL = "ana@example.org"


@pytest.fixture
def behind(app):
    """The app behind `hops` reverse proxies (as `TRUSTED_PROXY=hops` builds it)."""

    def configure(hops: int):
        app.config["TRUSTED_PROXY"] = hops
        trust_proxies(app)

    return configure


def _login(client, password: str, forwarded_for: str | None = None, **headers):
    if forwarded_for is not None:
        headers["X-Forwarded-For"] = forwarded_for
    return client.post("/v1/sessions", json={"email": EMAIL, "password": password},
                       headers=headers)


def _keys() -> set[str]:
    db.session.expire_all()
    return set(db.session.scalars(select(LoginAttempt.key)))


def test_behind_a_trusted_proxy_failures_count_against_the_forwarded_client(
        app, client, make_user, behind):
    behind(1)
    make_user(EMAIL)
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert _login(client, "guess", "203.0.113.5").status_code == 401
    assert _keys() == {pair_key(EMAIL, "203.0.113.5"), "addr:203.0.113.5"}
    assert _login(client, PASSWORD, "203.0.113.5").status_code == 429
    # Every user behind the same proxy is not locked out: the owner, from her own address.
    assert _login(client, PASSWORD, "198.51.100.7").status_code == 200


def test_without_trusted_proxy_a_forged_forwarded_for_changes_nothing(app, client, make_user):
    make_user(EMAIL)
    for i in range(app.config["LOGIN_MAX_FAILURES"]):
        assert _login(client, "guess", f"192.0.2.{i}").status_code == 401
    assert _keys() == {pair_key(EMAIL, "127.0.0.1"), "addr:127.0.0.1"}
    assert _login(client, PASSWORD, "192.0.2.200").status_code == 429


def test_behind_two_proxies_the_client_is_the_second_address_from_the_right(
        app, client, make_user, behind):
    behind(2)
    make_user(EMAIL)
    # The client forged the first entry; the outer proxy appended the client, the inner the outer.
    _login(client, "guess", "10.6.6.6, 203.0.113.9, 10.0.0.2")
    assert "addr:203.0.113.9" in _keys()


def test_https_is_known_from_the_trusted_proxy_so_basic_auth_works_behind_it(
        client, make_user, behind):
    make_user(EMAIL)
    basic = {"Authorization": "Basic " + base64.b64encode(f"{EMAIL}:{PASSWORD}".encode())
             .decode()}
    https = {**basic, "X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.5"}
    refused = client.get("/v1/users/current", headers=https)  # an untrusted header: plain HTTP
    assert refused.status_code == 401 and refused.get_json()["code"] == 401.3
    behind(1)
    assert client.get("/v1/users/current", headers=https).status_code == 200


def test_each_failure_past_the_limit_doubles_the_backoff_up_to_the_cap(app, client, make_user):
    app.config.update(LOGIN_MAX_FAILURES=2, LOGIN_LOCKOUT_SECONDS=10,
                      LOGIN_LOCKOUT_MAX_SECONDS=35)
    make_user(EMAIL)
    key = pair_key(EMAIL, "127.0.0.1")

    def time_passes(seconds: int) -> None:
        row = db.session.get(LoginAttempt, key)
        db.session.refresh(row)
        row.first_failure_at -= timedelta(seconds=seconds)
        db.session.commit()

    assert [_login(client, "guess").status_code for _ in range(3)] == [401, 401, 429]
    waits = [int(_login(client, "guess").headers["Retry-After"])]
    for _ in range(3):
        time_passes(waits[-1])
        assert _login(client, "guess").status_code == 401
        waits.append(int(_login(client, "guess").headers["Retry-After"]))
    # 10 s, 20 s, then capped at 35 s (Retry-After rounds up: one second more at most)
    assert all(0 <= w - e <= 1 for w, e in zip(waits, [10, 20, 35, 35], strict=True)), waits
    time_passes(36)
    assert _login(client, PASSWORD).status_code == 200
    assert key not in _keys()

"""Logging in, bearer tokens, and throttling (POST /v1/sessions as ODK Central does it)."""
from __future__ import annotations

from datetime import timedelta

from app.extensions import db
from app.models import Session
from app.services.accounts import hash_token
from tests.conftest import PASSWORD


def test_login_returns_a_token_that_identifies_the_user(client, make_user):
    make_user("ana@example.org")
    response = client.post("/v1/sessions", json={"email": "ana@example.org",
                                                 "password": PASSWORD})
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) >= {"token", "createdAt", "expiresAt"}
    assert body["expiresAt"].endswith("Z")
    me = client.get("/v1/users/current", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200
    assert me.get_json()["email"] == "ana@example.org"


def test_tokens_are_stored_hashed_and_expire_after_a_day(client, make_user, app):
    make_user("ana@example.org")
    body = client.post("/v1/sessions", json={"email": "ana@example.org",
                                             "password": PASSWORD}).get_json()
    row = db.session.get(Session, hash_token(body["token"]))
    assert row is not None and body["token"] not in (row.token_hash,)
    assert abs((row.expires_at - row.created_at) - timedelta(hours=24)) < timedelta(seconds=1)
    row.expires_at = row.created_at
    db.session.commit()
    me = client.get("/v1/users/current", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 401
    assert me.get_json()["code"] == 401.2


def test_wrong_password_is_401_in_centrals_shape(client, make_user):
    make_user("ana@example.org")
    response = client.post("/v1/sessions", json={"email": "ana@example.org", "password": "nope"})
    assert response.status_code == 401
    assert response.get_json() == {"code": 401.2, "message": "Could not authenticate with the "
                                                             "provided credentials."}


def _login(client, email: str, password: str, address: str):
    return client.post("/v1/sessions", json={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def test_wrong_passwords_lock_that_account_from_that_address_only(client, make_user, app):
    make_user("ana@example.org")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert _login(client, "ana@example.org", "bad", "10.0.0.1").status_code == 401
    # The guesser's address is refused, even with the right password...
    response = _login(client, "ana@example.org", PASSWORD, "10.0.0.1")
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    # ...while the owner, elsewhere, logs in: knowing an email no longer locks its owner out.
    assert _login(client, "ana@example.org", PASSWORD, "10.0.0.2").status_code == 200


def test_an_address_guessing_across_accounts_hits_the_per_address_ceiling(
        client, make_user, app):
    app.config["LOGIN_ADDRESS_MAX_FAILURES"] = 6
    make_user("ana@example.org")
    for i in range(6):
        assert _login(client, f"guess{i}@example.org", "x", "10.9.9.9").status_code == 401
    assert _login(client, "ana@example.org", PASSWORD, "10.9.9.9").status_code == 429
    assert _login(client, "ana@example.org", PASSWORD, "10.9.9.10").status_code == 200


def test_malformed_login_body_is_a_400_naming_the_problem(client):
    response = client.post("/v1/sessions", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["code"] == 400.1
    response = client.post("/v1/sessions", json={"email": "a@b.org"})
    assert response.get_json() == {"code": 400.2, "message": "Required parameter password "
                                                             "missing.",
                                   "details": {"field": "password"}}


def test_logout_revokes_the_token(client, make_user, login):
    make_user("ana@example.org")
    headers = login("ana@example.org")
    token = headers["Authorization"].split()[1]
    assert client.delete(f"/v1/sessions/{token}", headers=headers).status_code == 200
    assert client.get("/v1/users/current", headers=headers).status_code == 401


def test_passwords_are_hashed_with_scrypt(app, make_user):
    user = make_user("ana@example.org")
    assert user.password_hash.startswith("scrypt:")
    assert PASSWORD not in user.password_hash

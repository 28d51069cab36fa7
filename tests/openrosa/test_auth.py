"""Collect's two ways in: a token in the path, or a username and password over Digest/Basic."""
from __future__ import annotations

import base64
import hashlib
import time

import pytest
from werkzeug.http import parse_dict_header

from app.extensions import db
from app.models import AppUser
from app.models.base import utcnow
from app.services.login_throttle import pair_key
from app.web import digest
from app.web.proxies import trust_proxies
from tests.conftest import PASSWORD
from tests.openrosa.collect_client import CollectClient
from tests.openrosa.fixtures import jpeg, site_instance
from tests.openrosa.helpers import openrosa_message

EMAIL = "volunteer@example.org"


def _challenges(response) -> dict[str, dict[str, str]]:
    out = {}
    for value in response.headers.getlist("WWW-Authenticate"):
        scheme, _, rest = value.partition(" ")
        out[scheme.lower()] = dict(parse_dict_header(rest))
    return out


def _digest_header(method: str, uri: str, nonce: str, *, password: str = PASSWORD,
                   nc: int = 1) -> str:
    md5 = lambda text: hashlib.md5(text.encode()).hexdigest()  # noqa: E731
    ha1 = md5(f"{EMAIL}:{digest.REALM}:{password}")
    answer = md5(f"{ha1}:{nonce}:{nc:08x}:abc:auth:{md5(f'{method}:{uri}')}")
    return (f'Digest username="{EMAIL}", realm="{digest.REALM}", nonce="{nonce}", uri="{uri}", '
            f'response="{answer}", qop=auth, nc={nc:08x}, cnonce="abc"')


def test_no_credentials_get_401_with_a_digest_challenge_and_no_basic_over_http(
        client, site_form):
    response = client.get(f"/v1/projects/{site_form.project_id}/formList")
    assert response.status_code == 401
    assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert openrosa_message(response)[0] == "error"
    challenges = _challenges(response)
    assert set(challenges) == {"digest"}
    assert challenges["digest"]["qop"] == "auth"
    assert challenges["digest"]["realm"] == "DataShift Collect"
    assert challenges["digest"]["algorithm"] == "MD5"


def test_basic_is_offered_too_behind_a_trusted_https_proxy(app, client, site_form):
    app.config["TRUSTED_PROXY"] = 1
    trust_proxies(app)
    response = client.get(f"/v1/projects/{site_form.project_id}/formList",
                          headers={"X-Forwarded-Proto": "https"})
    assert set(_challenges(response)) == {"digest", "basic"}


def test_basic_credentials_work_over_https(app, client, site_form, make_user):
    make_user(EMAIL, roles={site_form.project_id: "formfill"})
    token = base64.b64encode(f"{EMAIL}:{PASSWORD}".encode()).decode()
    response = client.get(f"/v1/projects/{site_form.project_id}/formList",
                          base_url="https://localhost", headers={"Authorization": f"Basic {token}"})
    assert response.status_code == 200


def test_digest_credentials_of_a_web_user_open_formlist(client, site_form, make_user):
    make_user(EMAIL, roles={site_form.project_id: "formfill"})
    uri = f"/v1/projects/{site_form.project_id}/formList"
    nonce = _challenges(client.get(uri))["digest"]["nonce"]
    response = client.get(uri, headers={"Authorization": _digest_header("GET", uri, nonce)})
    assert response.status_code == 200
    assert b"site_photos" in response.data


def test_a_wrong_digest_password_gets_401_and_a_fresh_challenge(client, site_form, make_user):
    make_user(EMAIL, roles={site_form.project_id: "formfill"})
    uri = f"/v1/projects/{site_form.project_id}/formList"
    nonce = _challenges(client.get(uri))["digest"]["nonce"]
    response = client.get(uri, headers={
        "Authorization": _digest_header("GET", uri, nonce, password="not the password")})
    assert response.status_code == 401
    assert "stale" not in _challenges(response)["digest"]


def test_a_digest_answer_for_another_uri_is_refused(client, site_form, make_user):
    make_user(EMAIL, roles={site_form.project_id: "formfill"})
    uri = f"/v1/projects/{site_form.project_id}/formList"
    nonce = _challenges(client.get(uri))["digest"]["nonce"]
    header = _digest_header("GET", "/v1/projects/999/formList", nonce)
    assert client.get(uri, headers={"Authorization": header}).status_code == 401


def test_an_old_nonce_is_answered_with_stale_true(app, client, site_form, make_user):
    make_user(EMAIL, roles={site_form.project_id: "formfill"})
    uri = f"/v1/projects/{site_form.project_id}/formList"
    old = digest.make_nonce(app.config["SECRET_KEY"],
                            time.time() - digest.NONCE_LIFETIME_SECONDS - 5)
    response = client.get(uri, headers={"Authorization": _digest_header("GET", uri, old)})
    assert response.status_code == 401
    assert _challenges(response)["digest"]["stale"] == "true"


def test_a_forged_nonce_is_refused(client, site_form, make_user):
    make_user(EMAIL, roles={site_form.project_id: "formfill"})
    uri = f"/v1/projects/{site_form.project_id}/formList"
    forged = digest.make_nonce("someone else's key")
    assert client.get(uri, headers={
        "Authorization": _digest_header("GET", uri, forged)}).status_code == 401


def test_collect_does_the_handshake_once_then_reuses_the_nonce_with_incrementing_nc(
        live_server, site_form, make_user):
    make_user(EMAIL, roles={site_form.project_id: "formfill"})
    collect = CollectClient(f"{live_server.url}/v1/projects/{site_form.project_id}",
                            EMAIL, PASSWORD)
    assert collect.form_list().status_code == 200
    responses = collect.submit(site_instance("uuid:digest", photo="a.jpg"), {"a.jpg": jpeg()})
    assert [r.status_code for r in responses] == [201]
    statuses = [r.status_code for r in collect.history]
    # one 401 for the first request only; the HEAD and POST reuse the nonce (nc 2, 3)
    assert statuses == [401, 200, 204, 201]
    assert collect._digest is not None and collect._digest.nc == 3


def test_a_bad_token_in_the_path_is_403_not_401(client, site_form):
    response = client.get(f"/v1/key/not-a-token/projects/{site_form.project_id}/formList")
    assert response.status_code == 403
    assert openrosa_message(response)[0] == "error"
    assert "WWW-Authenticate" not in response.headers


def test_a_revoked_app_user_is_refused_at_once(client, site_form, make_app_user):
    actor_id, token = make_app_user(site_form.project_id, [site_form])
    base = f"/v1/key/{token}/projects/{site_form.project_id}"
    assert client.get(f"{base}/formList").status_code == 200
    db.session.get(AppUser, actor_id).revoked_at = utcnow()
    db.session.commit()
    assert client.get(f"{base}/formList").status_code == 403
    assert client.head(f"{base}/submission").status_code == 403


def test_basic_over_plain_http_is_refused(client, site_form, make_user):
    make_user(EMAIL, roles={site_form.project_id: "formfill"})
    token = base64.b64encode(f"{EMAIL}:{PASSWORD}".encode()).decode()
    response = client.get(f"/v1/projects/{site_form.project_id}/formList",
                          headers={"Authorization": f"Basic {token}"})
    assert response.status_code == 401


def test_digest_works_for_percent_encoded_urls_like_a_manifest_of_an_odd_form_id(
        client, make_project, make_user):
    from tests.openrosa.fixtures import SITE_XFORM, publish_xform

    pid = make_project("Odd")
    publish_xform(pid, SITE_XFORM.replace("{version}", "1").replace(
        'id="site_photos"', 'id="site photos"'))
    make_user(EMAIL, roles={pid: "formfill"})
    uri = f"/v1/projects/{pid}/forms/site%20photos/manifest?deviceID=collect%3Ax"
    nonce = _challenges(client.get(uri))["digest"]["nonce"]
    response = client.get(uri, headers={"Authorization": _digest_header("GET", uri, nonce)})
    assert response.status_code == 200


def _attempts() -> dict[str, int]:
    from sqlalchemy import select

    from app.models import LoginAttempt

    db.session.expire_all()
    return dict(db.session.execute(select(LoginAttempt.key, LoginAttempt.failures)).all())


def _digest_get(client, uri: str, nonce: str, *, password: str = PASSWORD, nc: int = 1):
    """GET `uri` answering the Digest challenge `nonce` as EMAIL with `password`."""
    return client.get(uri, headers={"Authorization": _digest_header(
        "GET", uri, nonce, password=password, nc=nc)})


@pytest.fixture
def backs_off_after_3(app, site_form, make_user) -> None:
    """EMAIL fills the site form; the third failed login of a device starts its back-off."""
    app.config["LOGIN_MAX_FAILURES"] = 3
    make_user(EMAIL, roles={site_form.project_id: "formfill"})


def test_a_collect_phone_with_a_stale_password_backs_off_alone_not_the_whole_office(
        app, client, site_form, backs_off_after_3):
    """Five phones behind one NAT address share an account; one still has the old password."""
    stale = f"/v1/projects/{site_form.project_id}/formList?deviceID=collect:stale"
    nonce = _challenges(client.get(stale))["digest"]["nonce"]
    for n in range(1, 4):
        response = _digest_get(client, stale, nonce, password="the old one", nc=n)
        assert response.status_code == 401
    assert _attempts() == {pair_key(EMAIL, "127.0.0.1", "collect:stale"): 3,
                           "addr:127.0.0.1": 3}
    # That phone backs off, with a message Collect shows...
    response = _digest_get(client, stale, nonce, password="the old one", nc=4)
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= app.config["LOGIN_LOCKOUT_SECONDS"] + 1
    nature, text = openrosa_message(response)
    assert nature == "error" and "Too many failed login attempts" in text
    # ...the office's other phones (same account, same address) keep sending, Digest and Basic.
    other = f"/v1/projects/{site_form.project_id}/formList?deviceID=collect:other"
    assert _digest_get(client, other, nonce, nc=5).status_code == 200
    token = base64.b64encode(f"{EMAIL}:{PASSWORD}".encode()).decode()
    assert client.get(other.replace("other", "third"), base_url="https://localhost",
                      headers={"Authorization": f"Basic {token}"}).status_code == 200
    # and so does the account's owner at the web sign-in.
    assert client.post("/v1/sessions", json={"email": EMAIL, "password": PASSWORD}
                       ).status_code == 200


def test_the_backoff_ends_and_a_good_digest_login_clears_the_phones_count(
        client, site_form, backs_off_after_3):
    uri = f"/v1/projects/{site_form.project_id}/formList"
    nonce = _challenges(client.get(uri))["digest"]["nonce"]
    for n in range(1, 3):
        _digest_get(client, uri, nonce, password="a guess", nc=n)
    assert _digest_get(client, uri, nonce, nc=3).status_code == 200
    assert _attempts() == {"addr:127.0.0.1": 2}  # the address keeps its count, as in sessions
    # Counts a day old are forgotten: the next failure starts again at one.
    from sqlalchemy import update

    from app.models import LoginAttempt

    db.session.execute(update(LoginAttempt).values(failures=9, first_failure_at=utcnow().replace(
        year=2000)))
    db.session.commit()
    response = _digest_get(client, uri, nonce, password="a guess", nc=4)
    assert response.status_code == 401
    assert _attempts() == {pair_key(EMAIL, "127.0.0.1"): 1, "addr:127.0.0.1": 1}


def test_a_stale_nonce_or_no_credentials_is_not_a_failed_login(app, client, site_form,
                                                                make_user):
    make_user(EMAIL, roles={site_form.project_id: "formfill"})
    uri = f"/v1/projects/{site_form.project_id}/formList"
    old = digest.make_nonce(app.config["SECRET_KEY"],
                            time.time() - digest.NONCE_LIFETIME_SECONDS - 5)
    for _ in range(8):
        assert client.get(uri).status_code == 401
        assert client.get(uri, headers={
            "Authorization": _digest_header("GET", uri, old)}).status_code == 401
    assert _attempts() == {}


def test_failed_basic_logins_are_throttled_too(app, client, site_form, make_user):
    app.config["LOGIN_MAX_FAILURES"] = 2
    make_user(EMAIL, roles={site_form.project_id: "formfill"})
    uri = f"/v1/projects/{site_form.project_id}/formList"

    def basic(password: str) -> int:
        token = base64.b64encode(f"{EMAIL}:{password}".encode()).decode()
        return client.get(uri, base_url="https://localhost",
                          headers={"Authorization": f"Basic {token}"}).status_code

    assert [basic("a guess"), basic("a guess"), basic(PASSWORD)] == [401, 401, 429]

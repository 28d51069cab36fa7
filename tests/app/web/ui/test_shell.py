"""The web app's shell through the Flask test client: sessions, CSRF, headers, languages, assets."""
from __future__ import annotations

import gzip

from app.extensions import db
from app.models import Session


def test_home_sends_the_anonymous_to_sign_in(web):
    response = web.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_sign_in_page_has_email_password_and_sign_in(web):
    html = web.get("/login").get_data(as_text=True)
    assert '<label for="email">Email</label>' in html
    assert '<label for="password">Password</label>' in html
    assert ">Sign in</button>" in html


def test_pages_carry_csp_without_inline_script_and_no_framing(web):
    response = web.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"


def test_session_cookie_is_httponly_and_lax(web, make_user):
    make_user("c@example.org")
    web.get("/login")
    response = web.post("/login", {"email": "c@example.org", "password":
                                   "correct horse battery staple"})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert cookie.startswith("datashift_session=")


def test_secure_public_url_gives_a_host_prefixed_secure_cookie(database_url, tmp_path):
    from app import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "k",
                      "STORAGE_DIR": str(tmp_path), "PUBLIC_URL": "https://collect.example.org"})
    assert app.config["SESSION_COOKIE_NAME"] == "__Host-datashift"
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_post_without_csrf_token_is_refused(web_as):
    web = web_as("admin@example.org", admin=True)
    response = web.post("/projects", {"name": "Forged"}, csrf=False)
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)
    response = web.post("/projects", {"name": "Forged", "csrf_token": "not-a-token"})
    assert response.status_code == 400


def test_sign_in_with_csrf_token_then_create_project(web_as):
    web = web_as("admin@example.org", admin=True)
    response = web.post("/projects", {"name": "Biratnagar health"})
    assert response.status_code == 302
    assert "Biratnagar health" in web.get(response.headers["Location"]).get_data(as_text=True)


def test_bearer_api_clients_need_no_csrf_token(client, admin_headers):
    response = client.post("/v1/projects", json={"name": "API project"}, headers=admin_headers)
    assert response.status_code == 200


def test_wrong_password_and_lockout_messages(web, make_user, app):
    app.config["LOGIN_MAX_FAILURES"] = 2
    make_user("c@example.org")
    for _ in range(2):
        response = web.post("/login", {"email": "c@example.org", "password": "wrong wrong"})
        assert response.status_code == 401
        assert "Wrong email or password." in response.get_data(as_text=True)
    response = web.post("/login", {"email": "c@example.org",
                                   "password": "correct horse battery staple"})
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.get_data(as_text=True)
    assert int(response.headers["Retry-After"]) > 0


def test_sign_out_revokes_the_session(web_as):
    web = web_as("c@example.org")
    assert web.get("/").status_code == 200
    assert web.post("/logout").status_code == 302
    assert web.get("/").status_code == 302


def test_sign_out_everywhere_ends_other_sessions(app, web_as):
    from app.web.ui.pages.auth import ui  # noqa: F401  (the blueprint is loaded)
    from tests.app.web.ui.conftest import Browser

    phone = web_as("c@example.org")
    laptop = Browser(app.test_client())
    laptop.sign_in("c@example.org")
    assert db.session.query(Session).count() == 2
    laptop.post("/logout", {"everywhere": "1"})
    db.session.expire_all()
    assert db.session.query(Session).count() == 0
    assert phone.get("/").status_code == 302


def test_next_only_goes_to_local_paths(web, make_user):
    make_user("c@example.org")
    web.get("/login")
    response = web.post("/login", {"email": "c@example.org", "next": "https://evil.example",
                                   "password": "correct horse battery staple"})
    assert response.headers["Location"] == "/"


def test_accept_language_is_the_default_and_the_pick_wins(web):
    html = web.get("/login", headers={"Accept-Language": "sw-KE,sw;q=0.9"}).get_data(
        as_text=True)
    assert '<html lang="sw">' in html and "Barua pepe" in html
    web.post("/language", {"lang": "ne", "next": "/login"})
    html = web.get("/login", headers={"Accept-Language": "sw"}).get_data(as_text=True)
    assert '<html lang="ne">' in html and "पासवर्ड" in html


def test_assets_are_fingerprinted_cached_and_gzipped(web):
    html = web.get("/login").get_data(as_text=True)
    start = html.index("/assets/vendor/htmx")
    url = html[start:html.index('"', start)]
    response = web.client.get(url, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert "immutable" in response.headers["Cache-Control"]
    assert response.headers["Content-Encoding"] == "gzip"
    assert b"htmx" in gzip.decompress(response.get_data())


def test_html_is_gzipped_when_accepted(web):
    response = web.client.get("/login", headers={"Accept-Encoding": "gzip, deflate"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert b"<html" in gzip.decompress(response.get_data())


def test_unknown_page_is_an_html_404_inside_the_web_app(web_as):
    web = web_as("c@example.org")
    response = web.get("/projects/999")
    assert response.status_code == 404
    assert "text/html" in response.content_type

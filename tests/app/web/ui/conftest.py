"""Web app fixtures: a browser-like test client that signs in through the real form."""
from __future__ import annotations

import re

import pytest

from tests.conftest import PASSWORD

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class Browser:
    """The Flask test client plus the CSRF token of the last page it loaded."""

    def __init__(self, client):
        self.client = client
        self.token = ""

    def get(self, path: str, **kwargs):
        response = self.client.get(path, **kwargs)
        found = TOKEN.search(response.get_data(as_text=True))
        if found:
            self.token = found.group(1)
        return response

    def post(self, path: str, data: dict | None = None, *, csrf: bool = True, **kwargs):
        if csrf and not self.token:
            self.get("/login")
        body = dict(data or {})
        if csrf:
            body.setdefault("csrf_token", self.token)
        return self.client.post(path, data=body, **kwargs)

    def sign_in(self, email: str, password: str = PASSWORD):
        self.get("/login")
        response = self.post("/login", {"email": email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)
        self.get("/")
        return response


@pytest.fixture
def web(client):
    return Browser(client)


@pytest.fixture
def web_as(app, make_user):
    """A signed-in browser for a new user with `roles` ({project_id: role}) or admin."""

    def make(email: str, **user) -> Browser:
        make_user(email, **user)
        browser = Browser(app.test_client())
        browser.sign_in(email)
        return browser

    return make

"""Fixtures for the SMS/USSD plumbing: the fake engine installed, a project with the
water_point form (keyword MAJI), a manager, and channels made through the API."""
from __future__ import annotations

import functools
from typing import Any

import pytest

from app.extensions import db
from tests.app.messaging.helpers import FakeEngine
from tests.conftest import FIXTURE_FORMS


@pytest.fixture(autouse=True)
def fresh_sms_counts():
    """The per-minute SMS counts kept in this process (no Redis) start empty in every test."""
    from app.messaging import throttle

    throttle._local.clear()


@pytest.fixture
def engine(app) -> FakeEngine:
    fake = FakeEngine()
    app.extensions["sms_engine"] = fake
    app.config["SMS_INLINE_RETRY_DELAYS"] = [0, 0, 0]
    yield fake
    app.extensions.pop("sms_engine", None)


@functools.cache
def _compiled(name: str):
    """Compile a fixture XLSForm once per test session (pyxform is the slow part)."""
    from forms.xlsform import compile_upload

    source = FIXTURE_FORMS / f"{name}.xlsx"
    return compile_upload(
        source.read_bytes(),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", source.name,
        validate=False, ignore_warnings=True)


@pytest.fixture
def publish(app):
    """Publish a fixture form (compiled once) into a project; returns the Form."""
    from app.services.forms import create_form

    def do(project_id: int, name: str = "water_point"):
        form = create_form(project_id, _compiled(name), None, publish=True)
        db.session.commit()
        return form

    return do


@pytest.fixture
def project(make_project, publish) -> int:
    project_id = make_project("Maji CSO")
    publish(project_id, "water_point")
    return project_id


@pytest.fixture
def manager(make_user, login, project) -> dict[str, str]:
    make_user("coordinator@example.org", roles={project: "manager"})
    return login("coordinator@example.org")


@pytest.fixture
def make_channel(client, manager, project):
    """Create a channel through the API; returns its JSON (with webhook URLs)."""

    def make(provider: str = "africastalking", kind: str = "sms", **extra) -> dict[str, Any]:
        credentials = {"africastalking": {"username": "datashift", "apiKey": "atsk_secret"},
                       "twilio": {"accountSid": "AC" + "0" * 32, "authToken": "tw-token"},
                       "simulator": {}}[provider]
        body = {"provider": provider, "kind": kind, "address": extra.pop("address", "21512"),
                "credentials": credentials, **extra}
        response = client.post(f"/v1/projects/{project}/channels", json=body, headers=manager)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return make


@functools.cache
def _compiled_with(name: str, settings: tuple[tuple[str, str], ...]):
    """A fixture XLSForm with settings-sheet columns added (consent, sensitive...), compiled."""
    from forms.xlsform import compile_upload
    from tests.forms.xlsform_builder import with_settings

    return compile_upload(
        with_settings(FIXTURE_FORMS / f"{name}.xlsx", settings),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        f"{name}.xlsx", validate=False, ignore_warnings=True)


@pytest.fixture
def publish_with(app):
    """Publish a fixture form with settings added: publish_with(pid, "sdg5_safety",
    consent="consent safe_now", sensitive="yes")."""
    from app.services.forms import create_form

    def do(project_id: int, name: str, **settings: str):
        form = create_form(project_id, _compiled_with(name, tuple(settings.items())), None,
                           publish=True)
        db.session.commit()
        return form

    return do

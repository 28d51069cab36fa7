"""Fixtures for the export tests: a project with a viewer, forms, and submissions through ingest."""
from __future__ import annotations

import pytest

from app.extensions import db


@pytest.fixture
def project(make_project):
    return make_project("Exports CSO")


@pytest.fixture
def viewer(project, make_user, login):
    """Bearer headers of a project viewer (viewers may export), and its actor id."""
    user = make_user("viewer@example.org", roles={project: "viewer"})
    return login("viewer@example.org"), user.actor_id


@pytest.fixture
def submit(app, project):
    """Store an instance the way Collect's POST does, through sync.ingest."""
    from sync.ingest import ingest

    def do(xml: str | bytes, *, submitter_id=None, device_id=None, channel="collect",
           files=None):
        data = xml.encode() if isinstance(xml, str) else xml
        result = ingest(project_id=project, xml=data, attachments=files or {}, channel=channel,
                        submitter_id=submitter_id, device_id=device_id)
        db.session.expire_all()
        return result

    return do


@pytest.fixture
def published(project, publish_fixture, submit):
    """Publish a fixture form in the project and submit instances of it through ingest:
    published("escuela", ESCUELA_XML, ESCUELA_XML_2) -> the form."""

    def do(name: str, *instances: str):
        form = publish_fixture(project, name)
        for xml in instances:
            submit(xml)
        return form

    return do


@pytest.fixture
def sent_by_sms_and_collect(project, publish_fixture, submit):
    """The water_point form with one instance (uuid:wp-1) sent by SMS, and again as uuid:wp-2
    by Collect: what the filter tests select from."""

    def do(xml: str) -> None:
        publish_fixture(project, "water_point")
        submit(xml, channel="sms")
        submit(xml.replace("uuid:wp-1", "uuid:wp-2"), channel="collect")

    return do

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

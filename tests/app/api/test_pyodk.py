"""pyodk, unchanged, against a live server: projects, forms list/get/create/update, media."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Blob, Form, FormAssignment, FormAttachment, FormVersion
from tests.app.api.workbooks import simple_form
from tests.conftest import FIXTURE_FORMS
from tests.helpers import logged_in_pyodk
from tests.openrosa.fixtures import png


@pytest.fixture
def project_id(make_project):
    return make_project("Water CSO")


@pytest.fixture
def pyodk_client(live_server, project_id, make_user, tmp_path):
    make_user("coordinator@example.org", roles={project_id: "manager"})
    with logged_in_pyodk(live_server.url, "coordinator@example.org", project_id,
                         tmp_path) as client:
        yield client


def _form(xml_form_id: str) -> Form:
    db.session.expire_all()
    return db.session.scalar(select(Form).where(Form.xml_form_id == xml_form_id))


def test_projects_and_forms_list_and_get(pyodk_client, project_id, publish_fixture):
    publish_fixture(project_id, "water_point")
    assert [p.name for p in pyodk_client.projects.list()] == ["Water CSO"]
    forms = pyodk_client.forms.list()
    assert [(f.xmlFormId, f.state) for f in forms] == [("water_point", "open")]
    form = pyodk_client.forms.get("water_point")
    assert form.hash == _form("water_point").current_version.hash
    assert form.publishedAt is not None and form.enketoId is None
    assert "water_point" in pyodk_client.forms.get_xml("water_point")


def test_create_from_xlsform_with_attachment_publishes(pyodk_client, project_id, tmp_path):
    workbook = tmp_path / "media.xlsx"
    workbook.write_bytes(simple_form("media", "1", logo=True))
    logo = tmp_path / "logo.png"
    logo.write_bytes(png(seed=3))
    created = pyodk_client.forms.create(definition=workbook, attachments=[logo])
    assert created.xmlFormId == "media"
    form = _form("media")
    assert form.current_version_id is not None and form.draft_version_id is None
    slot = db.session.scalar(select(FormAttachment).where(
        FormAttachment.form_version_id == form.current_version_id))
    blob = db.session.get(Blob, slot.blob_id)
    assert (slot.name, blob.size) == ("logo.png", len(logo.read_bytes()))


def test_create_fixture_form_then_update_with_new_definition(pyodk_client, tmp_path):
    created = pyodk_client.forms.create(definition=FIXTURE_FORMS / "escuela.xlsx")
    assert created.xmlFormId == "escuela"
    first = _form("escuela").current_version.version
    workbook = tmp_path / "escuela.xlsx"
    workbook.write_bytes(simple_form("escuela", "v-next", logo=True))
    logo = tmp_path / "logo.png"
    logo.write_bytes(png(seed=4))
    pyodk_client.forms.update("escuela", definition=workbook, attachments=[logo])
    form = _form("escuela")
    assert form.current_version.version == "v-next"
    versions = db.session.scalars(select(FormVersion.version).where(
        FormVersion.form_id == form.id, FormVersion.published_at.is_not(None))).all()
    assert sorted(versions) == sorted([first, "v-next"])
    assert [a.blob_id is not None for a in form.current_version.attachments] == [True]


def test_update_attachments_only_bumps_the_version(pyodk_client, tmp_path):
    workbook = tmp_path / "media.xlsx"
    workbook.write_bytes(simple_form("media", "1", logo=True))
    pyodk_client.forms.create(definition=workbook)
    logo = tmp_path / "logo.png"
    logo.write_bytes(png(seed=5))
    pyodk_client.forms.update("media", attachments=[logo], version_updater=lambda v: v + ".1")
    form = _form("media")
    assert form.current_version.version == "1.1"
    assert 'version="1.1"' in form.current_version.xml
    assert form.current_version.attachments[0].blob_id is not None


def test_app_users_and_form_assignment(pyodk_client, project_id, publish_fixture):
    publish_fixture(project_id, "escuela")
    users = pyodk_client.projects.create_app_users(display_names=["Phone A"],
                                                   forms=["escuela"])
    app_users = pyodk_client.session.get(f"projects/{project_id}/app-users").json()
    assert [a["displayName"] for a in app_users] == ["Phone A"]
    assert [u.token is not None for u in users] == [True]
    assigned = db.session.scalars(select(FormAssignment.actor_id).where(
        FormAssignment.form_id == _form("escuela").id)).all()
    assert assigned == [app_users[0]["id"]]

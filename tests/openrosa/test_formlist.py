"""formList and manifest as ODK Collect parses them (FormListParser, manifest parsing)."""
from __future__ import annotations

import hashlib

import pytest
from defusedxml.ElementTree import fromstring

from app.extensions import db
from app.models import Form, FormVersion
from app.services import forms as form_service
from tests.openrosa.fixtures import SITE_XFORM, png, publish_xform

XF = {"x": "http://openrosa.org/xforms/xformsList"}
MF = {"m": "http://openrosa.org/xforms/xformsManifest"}
PLAIN_XFORM = SITE_XFORM.replace('<value form="image">jr://images/logo.png</value>', "") \
    .replace('id="site_photos"', 'id="plain_form"').replace("<h:title>Site photos",
                                                              "<h:title>Plain &amp; simple")


def _entries(response) -> dict[str, dict[str, str]]:
    root = fromstring(response.data)
    assert root.tag == "{http://openrosa.org/xforms/xformsList}xforms"
    return {x.findtext("x:formID", namespaces=XF): {
        child.tag.split("}")[1]: child.text for child in x} for x in root.findall("x:xform", XF)}


@pytest.fixture
def token(site_form, make_app_user):
    plain = publish_xform(site_form.project_id, PLAIN_XFORM.replace("{version}", "3"))
    return make_app_user(site_form.project_id, [site_form, plain])[1]


def test_formlist_answers_text_xml_with_openrosa_headers(client, site_form, token):
    response = client.get(f"/v1/key/{token}/projects/{site_form.project_id}/formList")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert response.headers["X-OpenRosa-Version"] == "1.0"
    assert response.headers["Date"]


def test_each_xform_has_id_name_version_md5_hash_and_a_download_url_under_the_same_prefix(
        client, site_form, token, app):
    pid = site_form.project_id
    entries = _entries(client.get(f"/v1/key/{token}/projects/{pid}/formList"))
    version = db.session.get(FormVersion, db.session.get(Form, site_form.id).current_version_id)
    base = f"{app.config['PUBLIC_URL']}/v1/key/{token}/projects/{pid}"
    assert entries["site_photos"] == {
        "formID": "site_photos", "name": "Site photos", "version": "1",
        "hash": "md5:" + hashlib.md5(version.xml.encode()).hexdigest(),
        "downloadUrl": f"{base}/forms/site_photos.xml",
        "manifestUrl": f"{base}/forms/site_photos/manifest"}


def test_manifest_url_only_for_forms_with_media(client, site_form, token):
    entries = _entries(client.get(f"/v1/key/{token}/projects/{site_form.project_id}/formList"))
    assert "manifestUrl" not in entries["plain_form"]
    assert entries["plain_form"]["name"] == "Plain & simple"


def test_closed_closing_and_draft_only_forms_are_not_listed(client, site_form, token):
    pid = site_form.project_id
    db.session.get(Form, site_form.id).state = "closing"
    db.session.commit()
    assert set(_entries(client.get(f"/v1/key/{token}/projects/{pid}/formList"))) == \
        {"plain_form"}
    from forms.xlsform import compile_upload

    draft = compile_upload(SITE_XFORM.replace("site_photos", "draft_only").replace(
        "{version}", "1").encode(), "application/xml", "d.xml", validate=False)
    form_service.create_form(pid, draft, None, publish=False)
    plain = db.session.scalar(db.select(Form).where(Form.xml_form_id == "plain_form"))
    plain.state = "closed"
    db.session.commit()
    assert _entries(client.get(f"/v1/key/{token}/projects/{pid}/formList")) == {}


def test_an_app_user_sees_only_its_assigned_forms(client, site_form, make_app_user):
    publish_xform(site_form.project_id, PLAIN_XFORM.replace("{version}", "3"))
    _, token = make_app_user(site_form.project_id, [site_form])
    entries = _entries(client.get(f"/v1/key/{token}/projects/{site_form.project_id}/formList"))
    assert set(entries) == {"site_photos"}


def test_a_web_user_by_bearer_sees_every_open_form_and_urls_without_a_key(
        client, site_form, make_user, login, app):
    pid = site_form.project_id
    publish_xform(pid, PLAIN_XFORM.replace("{version}", "3"))
    make_user("staff@example.org", roles={pid: "manager"})
    entries = _entries(client.get(f"/v1/projects/{pid}/formList",
                                  headers=login("staff@example.org")))
    assert set(entries) == {"site_photos", "plain_form"}
    assert entries["site_photos"]["downloadUrl"] == \
        f"{app.config['PUBLIC_URL']}/v1/projects/{pid}/forms/site_photos.xml"


def _manifest(response) -> list[dict[str, str]]:
    root = fromstring(response.data)
    assert root.tag == "{http://openrosa.org/xforms/xformsManifest}manifest"
    return [{c.tag.split("}")[1]: c.text for c in m} for m in root.findall("m:mediaFile", MF)]


def test_manifest_lists_only_slots_with_a_file_each_with_filename_hash_and_url(
        client, site_form, token, app):
    pid = site_form.project_id
    url = f"/v1/key/{token}/projects/{pid}/forms/site_photos/manifest"
    empty = client.get(url)
    assert empty.status_code == 200 and empty.headers["Content-Type"] == \
        "text/xml; charset=utf-8"
    assert _manifest(empty) == []
    logo = png(8)
    version = db.session.get(FormVersion, db.session.get(Form, site_form.id).current_version_id)
    form_service.set_attachment(version, "logo.png", logo, "image/png")
    db.session.commit()
    base = f"{app.config['PUBLIC_URL']}/v1/key/{token}/projects/{pid}"
    assert _manifest(client.get(url)) == [{
        "filename": "logo.png", "hash": "md5:" + hashlib.md5(logo).hexdigest(),
        "downloadUrl": f"{base}/forms/site_photos/attachments/logo.png"}]


def test_manifest_of_an_unknown_or_unassigned_form_is_refused(client, site_form,
                                                              make_app_user):
    pid = site_form.project_id
    plain = publish_xform(pid, PLAIN_XFORM.replace("{version}", "3"))
    _, token = make_app_user(pid, [plain])
    assert client.get(f"/v1/key/{token}/projects/{pid}/forms/nope/manifest").status_code == 404
    assert client.get(
        f"/v1/key/{token}/projects/{pid}/forms/site_photos/manifest").status_code == 403

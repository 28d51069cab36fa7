"""End to end over real HTTP, as ODK Collect does it: list, download media, send in bulk."""
from __future__ import annotations

import hashlib

from defusedxml.ElementTree import fromstring
from sqlalchemy import func, select

from app.extensions import db
from app.models import Blob, Form, FormVersion, Submission, SubmissionAttachment, SubmissionDef
from app.services import forms as form_service
from tests.conftest import PASSWORD
from tests.openrosa.collect_client import CollectClient
from tests.openrosa.fixtures import jpeg, png, site_instance

XF = {"x": "http://openrosa.org/xforms/xformsList"}
MF = {"m": "http://openrosa.org/xforms/xformsManifest"}


def _stored_files(instance_id: str) -> dict[str, str]:
    rows = db.session.execute(
        select(SubmissionAttachment.name, Blob.md5)
        .join(SubmissionDef, SubmissionDef.id == SubmissionAttachment.submission_def_id)
        .join(Blob, Blob.id == SubmissionAttachment.blob_id)
        .where(SubmissionDef.instance_id == instance_id, SubmissionDef.current.is_(True)))
    return dict(rows.all())


def test_a_volunteer_lists_forms_fetches_media_and_sends_forty_surveys_split_by_size(
        app, live_server, site_form, make_app_user):
    pid = site_form.project_id
    logo = png(8)
    version = db.session.get(FormVersion, db.session.get(Form, site_form.id).current_version_id)
    form_service.set_attachment(version, "logo.png", logo, "image/png")
    db.session.commit()
    _, token = make_app_user(pid, [site_form])
    collect = CollectClient(f"{live_server.url}/v1/key/{token}/projects/{pid}")

    listing = fromstring(collect.form_list().content)
    xform = listing.find("x:xform", XF)
    manifest = collect.get(xform.findtext("x:manifestUrl", namespaces=XF))
    media = fromstring(manifest.content).find("m:mediaFile", MF)
    assert media.findtext("m:hash", namespaces=MF) == "md5:" + hashlib.md5(logo).hexdigest()

    # A small accepted length makes Collect split each survey's photos across POSTs.
    app.config["MAX_SUBMISSION_BYTES"] = 4_000
    sent = {}
    for n in range(40):
        photo, closeup = jpeg(3_000, seed=n), png(24, seed=n)
        xml = site_instance(f"uuid:survey-{n}", site=f"Site {n}", photo="p.jpg",
                            closeup="c.png")
        responses = collect.submit(xml, {"p.jpg": photo, "c.png": closeup})
        assert [r.status_code for r in responses] == [201, 201], n
        assert all(r.headers["Content-Type"] == "text/xml; charset=utf-8" for r in responses)
        sent[f"uuid:survey-{n}"] = {"p.jpg": hashlib.md5(photo).hexdigest(),
                                    "c.png": hashlib.md5(closeup).hexdigest()}
    # Collect's retry after a dropped connection repeats the whole thing: nothing doubles.
    again = collect.submit(site_instance("uuid:survey-7", site="Site 7", photo="p.jpg",
                                         closeup="c.png"), {"p.jpg": jpeg(3_000, seed=7)})
    assert [r.status_code for r in again] == [201]
    assert db.session.scalar(select(func.count(Submission.id))) == 40
    for instance_id, files in sent.items():
        assert _stored_files(instance_id) == files
    posts = [r for r in collect.history if r.request.method == "POST"]
    assert b'name="*isIncomplete*"' in posts[0].request.body
    assert b'name="*isIncomplete*"' not in posts[1].request.body
    assert all(r.request.url.endswith("deviceID=collect%3AXh2kPq9sVbZ0") for r in posts)
    assert db.session.scalar(select(Submission.device_id).limit(1)) == "collect:Xh2kPq9sVbZ0"


def test_a_volunteer_with_username_and_password_sends_and_edits_a_survey(
        live_server, site_form, make_user):
    pid = site_form.project_id
    make_user("volunteer@example.org", roles={pid: "formfill"})
    collect = CollectClient(f"{live_server.url}/v1/projects/{pid}", "volunteer@example.org",
                            PASSWORD)
    assert [r.status_code for r in collect.submit(
        site_instance("uuid:first", photo="p.jpg"), {"p.jpg": jpeg()})] == [201]
    edit = site_instance("uuid:second", site="Corrected", photo="p.jpg", closeup="c.png",
                         deprecated_id="uuid:first")
    assert [r.status_code for r in collect.submit(edit, {"c.png": png()})] == [201]
    assert _stored_files("uuid:second") == {"p.jpg": hashlib.md5(jpeg()).hexdigest(),
                                            "c.png": hashlib.md5(png()).hexdigest()}
    assert db.session.scalar(select(func.count(Submission.id))) == 1


def test_form_download_url_serves_bytes_whose_md5_is_the_listed_hash(
        live_server, site_form, make_app_user):
    pid = site_form.project_id
    _, token = make_app_user(pid, [site_form])
    collect = CollectClient(f"{live_server.url}/v1/key/{token}/projects/{pid}")
    xform = fromstring(collect.form_list().content).find("x:xform", XF)
    download = collect.get(xform.findtext("x:downloadUrl", namespaces=XF))
    assert download.status_code == 200
    assert "md5:" + hashlib.md5(download.content).hexdigest() == \
        xform.findtext("x:hash", namespaces=XF)

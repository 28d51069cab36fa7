"""Exports keep phone numbers hashed unless a manager asks (audited), carry media, and take
Central's options by POST too."""
from __future__ import annotations

import csv
import io
import zipfile

from sqlalchemy import select

from app.extensions import db
from tests.app.exports.samples import NUMBER, PHONE_FORM, PHONE_XML


def _publish_phone_form(project: int) -> None:
    from app.services.forms import create_form
    from forms.xlsform import compile_upload

    create_form(project, compile_upload(PHONE_FORM.encode(), "application/xml", "h.xml",
                                        validate=False), None, publish=True)
    db.session.commit()


def _phone(client, url: str, headers: dict) -> str:
    rows = list(csv.reader(io.StringIO(client.get(url, headers=headers).data.decode())))
    return rows[1][rows[0].index("phone")]


def test_phone_numbers_are_the_keyed_hash_unless_a_manager_asks(client, project, viewer,
                                                                make_user, login, submit):
    from app.models import Audit
    from tests.app.exports.samples import personal_hash

    headers, _ = viewer
    _publish_phone_form(project)
    submit(PHONE_XML, channel="sms")
    url = f"/v1/projects/{project}/forms/hotline/submissions.csv"

    assert _phone(client, url, headers) == personal_hash(NUMBER)
    feed = client.get(f"/v1/projects/{project}/forms/hotline.svc/Submissions",
                      headers=headers).get_json()
    assert feed["value"][0]["phone"] == personal_hash(NUMBER)
    assert client.get(url + "?phoneNumbers=clear", headers=headers).status_code == 403
    assert db.session.scalar(select(Audit).where(Audit.action.like("%phone%"))) is None

    make_user("manager@example.org", roles={project: "manager"})
    manager = login("manager@example.org")
    assert _phone(client, url + "?phoneNumbers=clear", manager) == NUMBER
    audit = db.session.scalar(select(Audit).where(Audit.action == "submission.export.phone_clear"))
    assert audit is not None and audit.form_id is not None and audit.project_id == project


def test_zip_carries_arrived_media_unless_attachments_false(client, project, viewer,
                                                            publish_fixture, submit):
    headers, _ = viewer
    publish_fixture(project, "escuela")
    xml = ('<data id="escuela" version="1"><provincia>salta</provincia><escuela>N 12</escuela>'
           '<alumnos>10</alumnos><alumnas>12</alumnas><servicios/><comedor/>'
           '<foto>patio.jpg</foto><ubicacion/><problema/>'
           '<meta><instanceID>uuid:e-1</instanceID></meta></data>')
    submit(xml, files={"patio.jpg": b"\xff\xd8jpeg bytes"})
    url = f"/v1/projects/{project}/forms/escuela/submissions.csv.zip"

    archive = zipfile.ZipFile(io.BytesIO(client.get(url, headers=headers).data))
    assert archive.namelist() == ["escuela.csv", "media/patio.jpg"]
    assert archive.read("media/patio.jpg") == b"\xff\xd8jpeg bytes"
    rows = list(csv.reader(io.StringIO(archive.read("escuela.csv").decode())))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert (row["foto"], row["AttachmentsPresent"], row["AttachmentsExpected"]) == \
        ("patio.jpg", "1", "1")
    assert row["ubicacion-Latitude"] == "" and row["ubicacion-Accuracy"] == ""

    posted = client.post(url, headers=headers, data={"attachments": "false"})
    assert zipfile.ZipFile(io.BytesIO(posted.data)).namelist() == ["escuela.csv"]


def test_sdg_filter_selects_tagged_submissions(client, project, viewer, publish_fixture, submit):
    from app.exports.queries import has_table

    headers, _ = viewer
    publish_fixture(project, "water_point")
    from tests.app.exports.test_csv_export import WP_XML
    first = submit(WP_XML)
    submit(WP_XML.replace("uuid:wp-1", "uuid:wp-2"))
    url = f"/v1/projects/{project}/forms/water_point/submissions.csv"
    if has_table("sdg_tags"):
        from app.models.pipeline import SdgTag

        db.session.query(SdgTag).delete()
        db.session.add(SdgTag(submission_def_id=first.def_id, goal=6, target="6.1",
                              indicator="6.1.1", source="form", score=1.0, field="",
                              version="t"))
        db.session.commit()

    def keys(query: str) -> list[str]:
        rows = list(csv.reader(io.StringIO(client.get(url + query, headers=headers).data
                                           .decode())))
        return [r[rows[0].index("KEY")] for r in rows[1:]]

    tagged = ["uuid:wp-1"] if has_table("sdg_tags") else []
    assert keys("?sdg=6") == tagged
    assert keys("?sdg=6.1") == tagged
    assert keys("?sdg=6.1.1") == tagged
    assert keys("?sdg=5") == []


def test_deleted_fields_and_odata_filter_on_the_csv(client, project, viewer, submit):
    from app.services import forms as form_service
    from forms.xlsform import compile_upload
    from tests.app.exports.samples import personal_hash

    headers, _ = viewer
    _publish_phone_form(project)
    submit(PHONE_XML)
    form = form_service.get_form(project, "hotline")
    v2 = PHONE_FORM.replace('version="1"', 'version="2"').replace("<phone/>", "").replace(
        '<bind nodeset="/data/phone" type="string" jr:preload="property" '
        'jr:preloadParams="phonenumber"/>', "")
    form_service.replace_draft(form, compile_upload(v2.encode(), "application/xml", "h.xml",
                                                    validate=False), None)
    db.session.flush()
    db.session.expire(form)
    form_service.publish_draft(form, None, None)
    db.session.commit()
    submit(PHONE_XML.replace('version="1"', 'version="2"').replace("uuid:h-1", "uuid:h-2")
           .replace("<phone>+254712345678</phone>", ""))
    url = f"/v1/projects/{project}/forms/hotline/submissions.csv"

    def table(query: str) -> list[list[str]]:
        return list(csv.reader(io.StringIO(client.get(url + query, headers=headers).data
                                           .decode())))

    assert "phone" not in table("")[0]
    merged = table("?deletedFields=true")
    assert merged[0][:4] == ["SubmissionDate", "issue", "meta-instanceID", "phone"]
    assert [r[3] for r in merged[1:]] == ["", personal_hash(NUMBER)]
    only = table("?$filter=__id eq 'uuid:h-1'")
    assert [r[only[0].index("KEY")] for r in only[1:]] == ["uuid:h-1"]
    assert [r[only[0].index("FormVersion")] for r in only[1:]] == ["1"]


def test_phone_questions_are_hashed_like_the_pipeline_hashes_them(client, project, viewer,
                                                                  submit):
    from tests.app.exports.samples import personal_hash

    headers, _ = viewer
    xform = PHONE_FORM.replace('id="hotline"', 'id="callback"').replace(
        "<phone/>", "<phone/><mobile_number/>").replace(
        '<bind nodeset="/data/issue" type="string"/>',
        '<bind nodeset="/data/issue" type="string"/>'
        '<bind nodeset="/data/mobile_number" type="string"/>').replace(
        "</h:body>", '<input ref="/data/mobile_number"><label>Mobile</label></input></h:body>')
    from app.services.forms import create_form
    from forms.xlsform import compile_upload

    create_form(project, compile_upload(xform.encode(), "application/xml", "c.xml",
                                        validate=False), None, publish=True)
    db.session.commit()
    submit(PHONE_XML.replace('id="hotline"', 'id="callback"').replace(
        "</phone>", "</phone><mobile_number>+254700000001</mobile_number>"))
    rows = list(csv.reader(io.StringIO(client.get(
        f"/v1/projects/{project}/forms/callback/submissions.csv", headers=headers).data
        .decode())))
    assert rows[1][rows[0].index("mobile_number")] == personal_hash("+254700000001")
    assert rows[1][rows[0].index("issue")] == "no water"

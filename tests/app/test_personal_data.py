"""Personal answers are the keyed hash in every representation, for every role, unless a
manager or admin asks for them in clear, which is audited (issue 12 item 4)."""
from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Audit, CleanedRecord, Project
from tests.app.exports.samples import personal_hash
from tests.forms.xlsform_builder import build_xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NUMBER = "+254712345678"
NAME = "Amina Njeri"
SURVEY = [["type", "name", "label", "privacy"],
          ["text", "contact_number", "Contact number", ""],  # not marked: guessed, warned
          ["text", "full_name", "Full name", "personal"],
          ["text", "mobile_money_agent", "Agent", "none"],  # named like a phone, said not
          ["integer", "households", "Households", ""],
          ["geopoint", "place", "Where", ""]]
XML = (f'<data id="hotline" version="1"><contact_number>{NUMBER}</contact_number>'
       f'<full_name>{NAME}</full_name><mobile_money_agent>Agent 7</mobile_money_agent>'
       '<households>12</households><place>-0.0917 34.768 1150 5</place>'
       '<meta><instanceID>uuid:p-1</instanceID></meta></data>')


@pytest.fixture
def project(make_project):
    return make_project("Hotline CSO")


@pytest.fixture
def people(project, make_user, login, admin_headers):
    make_user("manager@example.org", roles={project: "manager"})
    make_user("viewer@example.org", roles={project: "viewer"})
    return {"admin": admin_headers, "manager": login("manager@example.org"),
            "viewer": login("viewer@example.org")}


@pytest.fixture
def base(client, project, people):
    data = build_xlsx(SURVEY, settings={"form_id": "hotline", "version": "1"})
    created = client.post(f"/v1/projects/{project}/forms?publish=true", data=data,
                          headers={**people["admin"], "Content-Type": XLSX})
    assert created.status_code == 200, created.get_json()
    [warning] = created.get_json()["privacyWarnings"]
    assert "'contact_number'" in warning and "'privacy' column" in warning
    base = f"/v1/projects/{project}/forms/hotline"
    sent = client.post(f"{base}/submissions", data=XML,
                       headers={**people["admin"], "Content-Type": "application/xml"})
    assert sent.status_code == 200
    return base


def _clear_reads() -> int:
    return len(db.session.scalars(select(Audit).where(Audit.action.in_(
        ["submission.read.personal_clear", "submission.export.phone_clear"]))).all())


def _export_texts(response) -> str:
    """Everything an export holds, as text (zip members and workbook sheets unpacked)."""
    body = response.data
    if body[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            return "\n".join(archive.read(n).decode("utf-8", "replace")
                             for n in archive.namelist())
    return body.decode("utf-8", "replace")


@pytest.mark.parametrize("role", ["viewer", "manager", "admin"])
def test_the_submission_xml_is_masked_for_every_role_by_default(client, base, people, role):
    xml = client.get(f"{base}/submissions/uuid:p-1.xml", headers=people[role]).data.decode()
    assert NUMBER not in xml and NAME not in xml
    assert personal_hash(NUMBER) in xml and personal_hash(NAME) in xml
    assert "<households>12</households>" in xml and "Agent 7" in xml  # marked "none"
    assert _clear_reads() == 0


def test_a_viewer_may_not_read_clear_values(client, base, people):
    for query in ("personalData=clear", "phoneNumbers=clear"):
        assert client.get(f"{base}/submissions/uuid:p-1.xml?{query}",
                          headers=people["viewer"]).status_code == 403
        assert client.get(f"{base}/submissions.csv?{query}",
                          headers=people["viewer"]).status_code == 403
    assert _clear_reads() == 0


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_managers_and_admins_read_clear_values_when_they_ask_and_it_is_audited(
        client, base, people, role):
    xml = client.get(f"{base}/submissions/uuid:p-1.xml?personalData=clear",
                     headers=people[role]).data.decode()
    assert NUMBER in xml and NAME in xml
    [audit] = db.session.scalars(select(Audit).where(
        Audit.action == "submission.read.personal_clear")).all()
    assert audit.form_id is not None and "personalData=clear" in audit.details["query"]


@pytest.mark.parametrize("suffix", ["submissions.csv.zip", "submissions.csv",
                                    "submissions.xlsx", "submissions.jsonl",
                                    "submissions.geojson",
                                    "submissions.csv.zip?splitSelectMultiples=true",
                                    ".svc/Submissions"])
@pytest.mark.parametrize("role", ["viewer", "manager"])
def test_every_export_and_odata_show_only_the_hash(client, base, people, suffix, role):
    url = f"{base}/{suffix}" if not suffix.startswith(".") else f"{base}{suffix}"
    response = client.get(url, headers=people[role])
    assert response.status_code == 200
    text = _export_texts(response)
    assert NUMBER not in text and NAME not in text
    if suffix.endswith("geojson"):  # Central's GeoJSON: geometry and field path, no answers
        assert '"coordinates":[34.768,-0.0917,1150]' in text
        return
    assert personal_hash(NUMBER) in text and personal_hash(NAME) in text


@pytest.mark.parametrize("suffix", ["submissions.sav", "submissions.dta"])
def test_spss_and_stata_show_only_the_hash(client, base, people, suffix, tmp_path):
    import pyreadstat

    response = client.get(f"{base}/{suffix}", headers=people["viewer"])
    path = tmp_path / suffix
    path.write_bytes(response.data)
    frame, _meta = (pyreadstat.read_sav if suffix.endswith("sav") else pyreadstat.read_dta)(
        str(path))
    assert frame["contact_number"].tolist() == [personal_hash(NUMBER)]
    assert frame["full_name"].tolist() == [personal_hash(NAME)]


def test_a_clear_export_by_a_manager_holds_the_values(client, base, people):
    rows = list(csv.reader(io.StringIO(client.get(
        f"{base}/submissions.csv?personalData=clear", headers=people["manager"]).data.decode())))
    assert rows[1][rows[0].index("contact_number")] == NUMBER
    assert rows[1][rows[0].index("full_name")] == NAME
    assert _clear_reads() == 1


def test_the_webhook_payload_is_masked(client, app, base, people):
    from tests.app.webhooks.conftest import Receiver

    app.config["WEBHOOK_ALLOW_NETWORKS"] = "127.0.0.0/8"
    receiver = Receiver()
    try:
        hook = client.post(f"{base}/webhooks", headers=people["manager"],
                           json={"url": receiver.url, "secret": "s" * 20, "includeXml": True})
        assert hook.status_code == 200
        xml = XML.replace("uuid:p-1", "uuid:p-2")
        client.post(f"{base}/submissions", data=xml,
                    headers={**people["admin"], "Content-Type": "application/xml"})
        [request] = receiver.requests
        body = request["body"].decode()
        assert NUMBER not in body and NAME not in body
        assert request["json"]["record"]["/data/full_name"] == personal_hash(NAME)
        assert personal_hash(NAME) in request["json"]["xml"]
    finally:
        receiver.stop()


def test_the_project_switch_is_one_validated_key_set_through_the_api(client, project, base,
                                                                     people):
    url = f"/v1/projects/{project}"
    assert client.get(url, headers=people["manager"]).get_json()["settings"] == {
        "allowPhoneNumbers": False}
    for bad, field in [({"allowPhoneNumbers": "yes"}, "settings.allowPhoneNumbers"),
                       ({"allow_phone_numbers": True}, "settings.allow_phone_numbers"),
                       ([True], "settings")]:
        response = client.patch(url, json={"settings": bad}, headers=people["manager"])
        assert response.status_code == 400 and response.get_json()["details"]["field"] == field
    assert client.patch(url, json={"settings": {"allowPhoneNumbers": True}},
                        headers=people["viewer"]).status_code == 403
    changed = client.patch(url, json={"settings": {"allowPhoneNumbers": True}},
                           headers=people["manager"])
    assert changed.status_code == 200
    assert changed.get_json()["settings"] == {"allowPhoneNumbers": True}
    assert db.session.get(Project, project).settings == {"allowPhoneNumbers": True}
    audit = db.session.scalar(select(Audit).where(Audit.action == "project.update"))
    assert audit.details == {"settings": {"allowPhoneNumbers": True},
                             "before": {"allowPhoneNumbers": None}}
    # The pipeline reads the same key: a new submission's cleaned record keeps the number.
    client.post(f"{base}/submissions", data=XML.replace("uuid:p-1", "uuid:p-3"),
                headers={**people["admin"], "Content-Type": "application/xml"})
    records = [r.record for r in db.session.scalars(select(CleanedRecord))]
    assert sorted(r["/data/contact_number"] for r in records) == sorted(
        [personal_hash(NUMBER), NUMBER])
    # ...and every representation still masks it for whoever does not ask.
    jsonl = client.get(f"{base}/submissions.jsonl", headers=people["manager"]).data.decode()
    assert NUMBER not in jsonl
    assert {json.loads(line)["data"]["contact_number"] for line in jsonl.splitlines()} == {
        personal_hash(NUMBER)}

"""Personal data on the web pages, per role, as the API applies it: the submissions table, a
submission's page (answers, repeats, quality flags), the SMS conversations and messages, and
downloads started from the web app. Clear values only for managers and admins who ask, and
that read is audited with the API's action. Also: choice labels for every kind of select."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Audit, Project
from sync.ingest import ingest
from tests.app.exports.samples import personal_hash
from tests.forms.xlsform_builder import build_xlsx
from tests.helpers import simulator_channel

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NUMBER = "+254712345678"
KID_NUMBER = "+254798765432"
NAME = "Amina Njeri"
SURVEY = [["type", "name", "label::English (en)", "label::Kiswahili (sw)", "privacy"],
          ["text", "contact_number", "Contact number", "Namba ya simu", ""],
          ["text", "full_name", "Full name", "Jina kamili", "personal"],
          ["select_one_from_file wards.csv", "ward", "Ward", "Wadi", ""],
          ["select_multiple_from_file wards.csv", "wards_near", "Nearby wards", "Wadi za jirani",
           ""],
          ["rank colours", "colours", "Rank the colours", "Panga rangi", ""],
          ["begin repeat", "kids", "Child", "Mtoto", ""],
          ["select_one yn", "girl", "A girl?", "Msichana?", ""],
          ["text", "kid_phone", "Child's phone", "Simu ya mtoto", "phone"],
          ["end repeat", "", "", "", ""]]
CHOICES = [["list_name", "name", "label::English (en)", "label::Kiswahili (sw)"],
           ["yn", "yes", "Yes", "Ndiyo"], ["yn", "no", "No", "Hapana"],
           ["colours", "red", "Red", "Nyekundu"], ["colours", "blue", "Blue", "Bluu"]]
WARDS_CSV = ("name,label::English (en),label::Kiswahili (sw)\n"
             "kolwa_east,Kolwa East,Kolwa Mashariki\nkondele,Kondele,Kondele\n")
XML = ('<data id="hotline" version="1">'
       f'<contact_number>{NUMBER}</contact_number><full_name>{NAME}</full_name>'
       '<ward>kolwa_east</ward><wards_near>kondele kolwa_east</wards_near>'
       '<colours>blue red</colours>'
       f'<kids><girl>yes</girl><kid_phone>{KID_NUMBER}</kid_phone></kids>'
       '<kids><girl>no</girl><kid_phone/></kids>'
       '<meta><instanceID>uuid:p-1</instanceID></meta></data>')
PAGE = "/projects/{p}/forms/hotline/submissions"


@pytest.fixture
def project(app, make_project):
    from app.services.forms import create_form, set_attachment
    from forms.xlsform import compile_upload

    project = make_project("Hotline CSO")
    data = build_xlsx(SURVEY, choices=CHOICES, settings={"form_id": "hotline", "version": "1"})
    form = create_form(project, compile_upload(data, XLSX, "hotline.xlsx", validate=False,
                                               ignore_warnings=True),
                       None, publish=True, ignore_warnings=True)
    set_attachment(form.current_version, "wards.csv", WARDS_CSV.encode(), "text/csv")
    db.session.commit()
    ingest(project_id=project, xml=XML.encode(), attachments={}, channel="collect",
           submitter_id=None, device_id=None, user_agent="test", form_id="hotline")
    db.session.commit()
    return project


@pytest.fixture
def people(project, web_as):
    return {"admin": web_as("admin@example.org", admin=True),
            "manager": web_as("manager@example.org", roles={project: "manager"}),
            "viewer": web_as("viewer@example.org", roles={project: "viewer"})}


def _clear_reads(action: str = "submission.read.personal_clear") -> list[Audit]:
    return list(db.session.scalars(select(Audit).where(Audit.action == action)))


@pytest.mark.parametrize("role", ["viewer", "manager", "admin"])
@pytest.mark.parametrize("suffix", ["", "/uuid:p-1"])
def test_every_role_sees_the_hash_by_default(project, people, role, suffix):
    html = people[role].get(PAGE.format(p=project) + suffix).get_data(as_text=True)
    assert NUMBER not in html and NAME not in html and KID_NUMBER not in html
    assert personal_hash(NUMBER) in html and personal_hash(NAME) in html
    if suffix:
        assert personal_hash(KID_NUMBER) in html  # a repeat's personal answer, too
    assert ("Show them in clear" in html) == (role != "viewer")
    assert not _clear_reads()


def test_a_viewer_asking_for_clear_values_gets_the_apis_403(project, people):
    for suffix in ("", "/uuid:p-1"):
        for query in ("personalData=clear", "phoneNumbers=clear"):
            response = people["viewer"].get(PAGE.format(p=project) + f"{suffix}?{query}")
            assert response.status_code == 403
            assert NUMBER not in response.get_data(as_text=True)
    assert not _clear_reads()


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_managers_see_clear_values_when_they_ask_and_it_is_audited(project, people, role):
    web = people[role]
    table = web.get(PAGE.format(p=project) + "?personalData=clear").get_data(as_text=True)
    assert NUMBER in table and NAME in table and "Hide them" in table
    one = web.get(PAGE.format(p=project) + "/uuid:p-1?personalData=clear").get_data(as_text=True)
    assert NUMBER in one and KID_NUMBER in one
    audits = _clear_reads()
    assert len(audits) == 2 and all(a.form_id is not None for a in audits)
    assert {a.details["query"] for a in audits} == {"personalData=clear"}


def test_labels_for_files_ranks_and_repeats_in_the_chosen_language(project, people):
    web = people["viewer"]
    html = web.get(PAGE.format(p=project) + "/uuid:p-1").get_data(as_text=True)
    assert "Kolwa East" in html and "Kondele, Kolwa East" in html  # from wards.csv
    assert "Blue, Red" in html  # a rank, in its order
    assert "A girl?" in html and "<td class=\"clip\" title=\"Yes\">Yes</td>" in html
    assert "kolwa_east" not in html
    swahili = web.get(PAGE.format(p=project) + "/uuid:p-1?lang=Kiswahili (sw)").get_data(
        as_text=True)
    assert "Kolwa Mashariki" in swahili and "Ndiyo" in swahili and "Bluu, Nyekundu" in swahili
    cols = "&".join(f"col=/data/{n}" for n in ("ward", "wards_near", "colours"))
    table = web.get(PAGE.format(p=project) + f"?{cols}").get_data(as_text=True)
    assert "Kolwa East" in table and "Blue, Red" in table and "kolwa_east" not in table


def test_a_download_from_the_web_app_is_masked_unless_a_manager_asks(project, people, app):
    from app.models import ExportJob

    viewer = people["viewer"]
    viewer.get(f"/projects/{project}/downloads")
    started = viewer.post(f"/projects/{project}/downloads",
                          {"form": "hotline", "format": "csv.zip", "phoneNumbers": "clear"})
    assert started.status_code == 403
    ok = viewer.post(f"/projects/{project}/downloads", {"form": "hotline", "format": "csv.zip"})
    assert ok.status_code == 302
    job = db.session.scalars(select(ExportJob).order_by(ExportJob.id.desc())).first()
    assert job.spec["phones"] == "hashed" and job.spec["formula_safe"] is True
    manager = people["manager"]
    manager.get(f"/projects/{project}/downloads")
    manager.post(f"/projects/{project}/downloads",
                 {"form": "hotline", "format": "csv.zip", "phoneNumbers": "clear"})
    db.session.expire_all()
    job = db.session.scalars(select(ExportJob).order_by(ExportJob.id.desc())).first()
    assert job.spec["phones"] == "clear" and job.spec["formula_safe"] is True
    assert len(_clear_reads("submission.export.phone_clear")) == 1


def test_conversation_numbers_are_hashed_unless_the_project_allows_and_a_manager_asks(
        project, people):
    from app.messaging import contacts
    from app.models import Conversation

    channel = simulator_channel(project, "sms", "")
    person = contacts.find_or_create(project, NUMBER)
    db.session.add(Conversation(project_id=project, contact_id=person.id, medium="sms",
                                channel_id=channel.id,
                                status="active", session_key="x"))
    db.session.commit()
    page = f"/projects/{project}/channels"
    manager = people["manager"]
    html = manager.get(page).get_data(as_text=True)
    assert NUMBER not in html and personal_hash(NUMBER).split(":")[1][:10] in html
    assert "does not allow clear numbers" in html
    assert NUMBER not in manager.get(page + "?personalData=clear").get_data(as_text=True)
    db.session.get(Project, project).settings = {"allowPhoneNumbers": True}
    db.session.commit()
    assert NUMBER not in manager.get(page).get_data(as_text=True)
    assert not _clear_reads("message.read.phone_clear")
    assert NUMBER in manager.get(page + "?personalData=clear").get_data(as_text=True)
    assert len(_clear_reads("message.read.phone_clear")) == 1
    assert people["viewer"].get(page).status_code == 403  # channels: managers only

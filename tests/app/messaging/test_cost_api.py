"""Cost before going live through the API: the published form's shortest and longest path in
each language, on a channel's settings, as sms_flows.cost computes it from the form."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import Form, FormVersion
from sms_flows import engine
from sms_flows.cost import survey_cost
from sms_flows.state import engine_settings


def cost(client, headers, project, form="water_point", **query):
    return client.get(f"/v1/projects/{project}/forms/{form}/sms-cost", query_string=query,
                      headers=headers)


def test_the_cost_of_a_published_form_in_each_language(client, manager, make_project,
                                                       publish_with, make_user, login):
    project = make_project("Costs")
    publish_with(project, "water_point", consent="consent")
    make_user("costs@example.org", roles={project: "manager"})
    headers = login("costs@example.org")
    response = cost(client, headers, project)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["xmlFormId"], body["medium"], body["channelId"], body["segmentBudget"],
            body["lookalikes"]) == ("water_point", "sms", None, 2, False)
    english, swahili = body["languages"]
    assert (english["language"], swahili["language"]) == ("English (en)", "Kiswahili (sw)")
    assert english["exhaustive"] and english["paths"] == 43
    assert english["shortest"]["messagesOut"] <= english["longest"]["messagesOut"]
    assert english["declined"] == {"questions": 1, "messagesIn": 2, "messagesOut": 2,
                                   "segments": 2, "gsm7Segments": 2, "ucs2Segments": 0}


    version = db.session.scalars(select(FormVersion).join(
        Form, Form.current_version_id == FormVersion.id).where(Form.project_id == project)).one()
    model = engine.parse_form(version.xml, version.conversation)
    expected = survey_cost(model, "sms", engine_settings({}), keyword="MAJI")
    assert body["languages"] == [r.to_json() for r in expected]


def test_a_channel_brings_its_kind_and_settings(client, project, manager, make_channel):
    one_part = make_channel("africastalking", "sms", settings={"segmentBudget": 1})
    ussd = make_channel("africastalking", "ussd", address="*384*1#")
    wide = cost(client, manager, project).get_json()["languages"][0]
    narrow = cost(client, manager, project, channel=one_part["id"]).get_json()
    assert narrow["segmentBudget"] == 1 and narrow["channelId"] == one_part["id"]
    assert narrow["languages"][0]["longest"]["messagesOut"] >= wide["longest"]["messagesOut"]
    screens = cost(client, manager, project, channel=ussd["id"]).get_json()
    assert screens["medium"] == "ussd" and screens["languages"][0]["longest"]["segments"] == 0
    assert cost(client, manager, project, medium="whatsapp").get_json()["medium"] == "whatsapp"


def test_wrong_asks_are_named(client, project, manager):
    assert cost(client, manager, project, medium="fax").status_code == 400
    assert cost(client, manager, project, channel="99").status_code == 400
    assert cost(client, manager, project, channel="x").status_code == 400
    assert cost(client, manager, project, form="nope").status_code == 404

"""SMS/USSD readiness at publish: findings are listed on the draft; a form a live SMS/USSD
channel would serve is refused when a required question cannot be answered by text, and
warned (400.16 unless ignoreWarnings) when its text does not fit a USSD screen; a form meant
only for Collect is never held back."""
from __future__ import annotations

from tests.app.api.workbooks import XLSX, xlsform


def photo_form(keyword: str | None) -> bytes:
    settings = {"form_id": "photo_survey", "version": "1", "form_title": "Photos"}
    if keyword:
        settings["sms_keyword"] = keyword
    return xlsform([
        {"type": "text", "name": "place", "label": "Where are you?", "required": "yes"},
        {"type": "image", "name": "photo", "label": "Photo of the site", "required": "yes"},
    ], settings=settings)


def long_form() -> bytes:
    return xlsform([
        {"type": "text", "name": "story", "label": "Tell us " + "what happened there " * 12},
    ], settings={"form_id": "long_survey", "version": "1", "form_title": "Long"})


def upload_draft(client, manager, project, data: bytes):
    response = client.post(f"/v1/projects/{project}/forms", data=data,
                           query_string={"ignoreWarnings": "true"},
                           headers={**manager, "Content-Type": XLSX})
    assert response.status_code == 200, response.get_json()
    return response


def publish(client, manager, project, form_id: str, **query):
    return client.post(f"/v1/projects/{project}/forms/{form_id}/draft/publish",
                       query_string=query, headers=manager)


def test_a_collect_only_form_publishes_while_sms_channels_exist(client, project, manager,
                                                                 make_channel):
    make_channel("africastalking", "sms")  # picks forms by keyword; this form has none
    upload_draft(client, manager, project, photo_form(None))
    draft = client.get(f"/v1/projects/{project}/forms/photo_survey/draft", headers=manager)
    warnings = draft.get_json()["smsWarnings"]
    assert len(warnings) == 1 and "'photo'" in warnings[0] and "SMS" in warnings[0]
    response = publish(client, manager, project, "photo_survey")
    assert response.status_code == 200, response.get_json()


def test_a_required_photo_refuses_publishing_for_sms(client, project, manager, make_channel):
    make_channel("africastalking", "sms")
    upload_draft(client, manager, project, photo_form("PICHA"))
    response = publish(client, manager, project, "photo_survey", ignoreWarnings="true")
    assert response.status_code == 409
    body = response.get_json()
    assert body["code"] == 409.1 and "'photo'" in body["message"]
    assert len(body["details"]["warnings"]) == 1


def test_the_same_form_publishes_when_no_channel_serves_it(client, project, manager):
    upload_draft(client, manager, project, photo_form("PICHA"))
    assert publish(client, manager, project, "photo_survey").status_code == 200


def test_publishing_with_a_fixed_form_channel_checks_that_form_only(client, project, manager,
                                                                     make_channel):
    make_channel("africastalking", "sms", settings={"form": "water_point"})
    upload_draft(client, manager, project, photo_form("PICHA"))
    assert publish(client, manager, project, "photo_survey").status_code == 200


def test_ussd_fit_is_a_warning_ignored_on_request(client, project, manager, make_channel):
    make_channel("africastalking", "ussd", address="*384*9#")  # a menu of every form
    upload_draft(client, manager, project, long_form())
    refused = publish(client, manager, project, "long_survey")
    assert refused.status_code == 400
    body = refused.get_json()
    assert body["code"] == 400.16 and "USSD" in body["details"]["warnings"][0]
    assert publish(client, manager, project, "long_survey",
                   ignoreWarnings="true").status_code == 200


def test_ussd_fit_does_not_hold_back_an_sms_only_project(client, project, manager,
                                                          make_channel):
    make_channel("africastalking", "sms")
    upload_draft(client, manager, project, long_form())
    draft = client.get(f"/v1/projects/{project}/forms/long_survey/draft", headers=manager)
    assert draft.get_json()["smsWarnings"]
    assert publish(client, manager, project, "long_survey").status_code == 200


def test_a_required_photo_publishes_when_only_whatsapp_serves_it(client, project, manager,
                                                                 make_channel):
    make_channel("twilio", "whatsapp", address="+14155238886")
    upload_draft(client, manager, project, photo_form("PICHA"))
    response = publish(client, manager, project, "photo_survey", ignoreWarnings="true")
    assert response.status_code == 200, response.get_json()  # a photo answers it there


def test_a_required_photo_is_refused_when_sms_serves_it_beside_whatsapp(
        client, project, manager, make_channel):
    make_channel("twilio", "whatsapp", address="+14155238886")
    make_channel("africastalking", "sms")
    upload_draft(client, manager, project, photo_form("PICHA"))
    response = publish(client, manager, project, "photo_survey", ignoreWarnings="true")
    assert response.status_code == 409

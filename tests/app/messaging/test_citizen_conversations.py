"""Consent and sensitive forms through the app, with the real engine behind Africa's Talking's
real callbacks (the SDK's sends caught at the HTTP layer): a declined consent is kept as a
declined conversation and nothing else; a sensitive form's survey keeps its submission and
delivery statuses only; a simulation that stores nothing says it was a test."""
from __future__ import annotations

import pytest
import responses
from sqlalchemy import func, select

from app.extensions import db
from app.messaging import idle
from app.models import Conversation, Message, Submission
from tests.app.messaging.helpers import at_accepts, path

PHONE = "+254711000222"
SAFE_ANSWERS = ["1", "1", "34", "1", "1", "2", "2", "1", "1", "0", "Hakuna"]


@pytest.fixture
def sdg5(make_project, publish_with):
    project = make_project("SDG5 CSO")
    publish_with(project, "sdg5_safety", consent="consent safe_now", sensitive="yes")
    return project


@pytest.fixture
def at_sms(client, make_user, login, sdg5):
    make_user("safe@example.org", roles={sdg5: "manager"})
    headers = login("safe@example.org")
    response = client.post(f"/v1/projects/{sdg5}/channels", headers=headers, json={
        "provider": "africastalking", "kind": "sms", "address": "21513",
        "credentials": {"username": "datashift", "apiKey": "atsk_secret"}})
    assert response.status_code == 201
    return response.get_json(), headers


def text(client, channel, number: int, body: str) -> None:
    response = client.post(path(channel["inbound"]), data={
        "linkId": "1", "text": body, "to": "21513", "id": f"in-{number}",
        "date": "2026-12-07 10:00:00", "from": PHONE, "networkCode": "63902"})
    assert response.status_code == 200


def sent() -> list[str]:
    from urllib.parse import parse_qs

    return [parse_qs(call.request.body)["message"][0] for call in responses.calls]


@pytest.mark.parametrize("answers", [["SAFE", "2"], ["SAFE", "1", "2"]])
@responses.activate
def test_a_declined_consent_is_a_declined_conversation_and_nothing_else(client, at_sms,
                                                                         answers):
    at_accepts()
    channel, headers = at_sms
    for number, body in enumerate(answers):
        text(client, channel, number, body)
    assert sent()[-1] == "Thank you. We will stop here; nothing you sent has been kept."
    assert db.session.scalar(select(func.count(Submission.id))) == 0
    conversation = db.session.scalars(select(Conversation)).one()
    db.session.refresh(conversation)
    assert conversation.status == "declined" and conversation.purged_at is not None
    assert conversation.state == {} and conversation.instance_xml is None
    rows = db.session.scalars(select(Message).order_by(Message.id)).all()
    assert [m.text for m in rows] == [""] * len(rows)  # texts gone, inbound and out
    assert {m.status for m in rows if m.direction == "out"} == {"accepted"}  # statuses kept
    listed = client.get(f"/v1/projects/{channel['projectId']}/conversations?status=declined",
                        headers=headers)
    assert listed.headers["X-Total-Count"] == "1"  # for response-rate figures


@responses.activate
def test_a_sensitive_survey_keeps_its_submission_and_delivery_statuses_only(client, at_sms):
    at_accepts()
    channel, _ = at_sms
    for number, body in enumerate(["SAFE", *SAFE_ANSWERS]):
        text(client, channel, number, body)
    assert "1195" in sent()[-1]
    submission = db.session.scalars(select(Submission)).one()
    assert submission.channel == "sms"
    conversation = db.session.scalars(select(Conversation)).one()
    db.session.refresh(conversation)
    assert conversation.status == "completed" and conversation.instance_id
    assert conversation.state == {} and conversation.instance_xml is None
    assert conversation.purged_at is not None
    rows = db.session.scalars(select(Message)).all()
    assert len(rows) == 2 * len(SAFE_ANSWERS) + 2 and {m.text for m in rows} == {""}
    assert {m.status for m in rows if m.direction == "out"} == {"accepted"}


@responses.activate
def test_a_sensitive_survey_left_idle_is_never_reminded(client, at_sms, app):
    from datetime import timedelta

    from app.models.base import utcnow

    at_accepts()
    channel, _ = at_sms
    for number, body in enumerate(["SAFE", "1", "1"]):
        text(client, channel, number, body)
    before = len(responses.calls)
    outcome = idle.tick_idle(now=utcnow() + timedelta(hours=3))
    assert outcome.send == [] and len(responses.calls) == before
    conversation = db.session.scalars(select(Conversation)).one()
    assert conversation.status == "active" and conversation.state["reminded"] is True


def test_a_simulation_that_stores_nothing_says_it_was_a_test(client, project, manager,
                                                            make_channel):
    channel = make_channel("simulator", "sms", address="21512")
    url = f"/v1/projects/{project}/channels/{channel['id']}/simulate"

    def say(phone: str, body: str, submit: bool = False) -> list[str]:
        response = client.post(url, headers=manager,
                               json={"from": phone, "text": body, "submit": submit})
        assert response.status_code == 200
        return response.get_json()["replies"]

    # Our closing ("saved") becomes the notice; after the form's own note it is added.
    assert say("+254700000010", "MAJI 2") == ["This was a test: nothing was stored."]
    say("+254700000011", "MAJI")
    say("+254700000011", "LUGHA")
    say("+254700000011", "2")
    assert say("+254700000011", "2") == [
        "Asante. Majibu yako yanasaidia kuwajibisha huduma za maji.",
        "Hili lilikuwa jaribio: hakuna kilichohifadhiwa."]
    assert say("+254700000012", "MAJI 2", submit=True) == [
        "Thank you! Your answers have been saved."]  # stored: no notice
    assert db.session.scalar(select(func.count(Submission.id))) == 1


def test_sdg5_consent_over_africastalking_ussd_is_read_whole_before_yes_or_no(client, at_sms):
    """Version 4's consent text is longer than a USSD screen: its first part with "0 More",
    then the rest with the question it ends with and the choices; a no ends the session."""
    from tests.app.messaging.helpers import ussd_hop

    _, headers = at_sms
    project = client.get("/v1/projects", headers=headers).get_json()[0]["id"]
    ussd = client.post(f"/v1/projects/{project}/channels", headers=headers, json={
        "provider": "africastalking", "kind": "ussd", "address": "*384*5#",
        "settings": {"form": "sdg5_safety"},
        "credentials": {"username": "datashift", "apiKey": "atsk_secret"}}).get_json()
    first = ussd_hop(client, ussd, "ATUid_9", [], PHONE)
    assert first == ("CON This short survey asks about safety and equality for women and girls "
                     "(SDG 5). Your answers are confidential and only ever\n0 More")
    assert ussd_hop(client, ussd, "ATUid_9", ["0"], PHONE) == (
        "CON shown as totals. You can stop at any time by sending STOP. Do you agree to take "
        "part?\n1. Yes\n2. No")
    assert ussd_hop(client, ussd, "ATUid_9", ["0", "2"], PHONE) == (
        "END Thank you. We will stop here; nothing you sent has been kept.")
    conversation = db.session.scalars(select(Conversation)).one()
    db.session.refresh(conversation)
    assert conversation.status == "declined" and conversation.medium == "ussd"
    assert db.session.scalar(select(func.count(Submission.id))) == 0

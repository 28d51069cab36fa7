"""The channels API: create/list/patch/delete, credentials never returned, validation, who may
do what; the simulator; conversations and messages (managers only, found by hashed number);
and `flask channels create`."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Channel, Conversation, Submission
from tests.app.messaging.helpers import QUESTIONS, messages, path

PHONE = "+254700000001"


def test_creating_a_channel_returns_its_webhook_urls_and_hides_credentials(
        client, project, manager, engine):
    response = client.post(f"/v1/projects/{project}/channels", headers=manager, json={
        "provider": "africastalking", "kind": "sms", "address": "21512",
        "credentials": {"username": "datashift", "apiKey": "atsk_very_secret"},
        "settings": {"form": "water_point"}})
    assert response.status_code == 201
    body = response.get_json()
    base = f"http://localhost/webhooks/{body['id']}/"
    assert body["inbound"].startswith(base) and body["inbound"].endswith("/inbound")
    assert body["delivery"].startswith(base) and body["optout"].startswith(base)
    secret = body["inbound"][len(base):].split("/")[0]
    assert len(secret) >= 40
    assert "atsk_very_secret" not in response.get_data(as_text=True)
    assert "credentials" not in body
    stored = db.session.get(Channel, body["id"])
    assert "atsk_very_secret" not in stored.credentials and secret not in stored.secret
    listed = client.get(f"/v1/projects/{project}/channels", headers=manager)
    assert listed.headers["X-Total-Count"] == "1"
    assert "atsk_very_secret" not in listed.get_data(as_text=True)


@pytest.mark.parametrize("body, status", [
    ({"provider": "nexmo", "kind": "sms", "address": "1"}, 400),
    ({"provider": "twilio", "kind": "ussd", "address": "*1#",
      "credentials": {"accountSid": "AC1", "authToken": "t"}}, 400),
    ({"provider": "twilio", "kind": "sms", "address": "+12028831111",
      "credentials": {"accountSid": "AC1"}}, 400),
    ({"provider": "africastalking", "kind": "sms", "address": "",
      "credentials": {"username": "u", "apiKey": "k"}}, 400),
    ({"provider": "simulator", "kind": "sms", "settings": {"form": "no_such_form"}}, 400),
    ({"kind": "sms"}, 400),
])
def test_a_bad_channel_is_refused_with_a_clear_error(client, project, manager, body, status):
    response = client.post(f"/v1/projects/{project}/channels", headers=manager, json=body)
    assert response.status_code == status
    assert response.get_json()["code"] in (400.2, 400.8)
    assert db.session.scalars(select(Channel)).all() == []


def test_viewers_and_other_projects_cannot_touch_channels(client, project, make_channel,
                                                          make_user, login, make_project):
    channel = make_channel("simulator", "sms")
    other = make_project("Other CSO")
    make_user("viewer@example.org", roles={project: "viewer"})
    make_user("stranger@example.org", roles={other: "manager"})
    viewer, stranger = login("viewer@example.org"), login("stranger@example.org")
    assert client.get(f"/v1/projects/{project}/channels", headers=viewer).status_code == 403
    assert client.post(f"/v1/projects/{project}/channels", headers=viewer, json={
        "provider": "simulator", "kind": "sms"}).status_code == 403
    assert client.get(f"/v1/projects/{project}/messages", headers=viewer).status_code == 403
    assert client.get(f"/v1/projects/{project}/conversations",
                      headers=stranger).status_code == 403
    assert client.patch(f"/v1/projects/{other}/channels/{channel['id']}", headers=stranger,
                        json={"enabled": False}).status_code == 404
    assert client.get(f"/v1/projects/{project}/channels").status_code == 401


def test_patch_and_delete(client, project, manager, make_channel):
    channel = make_channel("simulator", "sms")
    url = f"/v1/projects/{project}/channels/{channel['id']}"
    patched = client.patch(url, headers=manager, json={"enabled": False,
                                                       "settings": {"form": "water_point"}})
    assert patched.get_json()["enabled"] is False
    assert patched.get_json()["settings"] == {"form": "water_point"}
    assert client.patch(url, headers=manager, json={"enabled": "no"}).status_code == 400
    assert client.delete(url, headers=manager).status_code == 200
    assert client.get(url, headers=manager).status_code == 404
    assert client.get(f"/v1/projects/{project}/channels", headers=manager).get_json() == []
    assert client.post(path(channel["inbound"]), data={"from": PHONE}).status_code == 404


def test_the_simulator_runs_a_survey_without_sending(client, project, manager, make_channel,
                                                     engine):
    channel = make_channel("simulator", "sms", address="")
    url = f"/v1/projects/{project}/channels/{channel['id']}/simulate"

    def say(text: str) -> list[str]:
        response = client.post(url, headers=manager, json={"from": PHONE, "text": text})
        assert response.status_code == 200
        return response.get_json()["replies"]

    assert say("hello") == ["Send MAJI to start a survey."]
    assert say("MAJI") == [QUESTIONS[0]]
    assert say("Kisima") == [QUESTIONS[1]]
    assert say("42") == ["Asante! Thank you.", "This was a test: nothing was stored."]
    assert {m.status for m in messages("out")} == {"delivered"}
    listed = client.get(f"/v1/projects/{project}/conversations?status=completed",
                        headers=manager).get_json()
    assert [(c["form"], c["status"], c["medium"], c["simulated"]) for c in listed] == [
        ("water_point", "completed", "sms", True)]
    assert client.get(f"/v1/projects/{project}/conversations?status=expired",
                      headers=manager).get_json() == []
    typo = client.get(f"/v1/projects/{project}/conversations?status=done", headers=manager)
    assert typo.status_code == 400 and typo.get_json()["details"]["field"] == "status"
    assert "opted-out" in typo.get_json()["message"]
    # A try-out is not data: the finished survey stays on the conversation, not stored.
    assert listed[0]["instanceId"] is None
    assert db.session.scalars(select(Submission)).all() == []
    conversation = db.session.scalars(select(Conversation)).one()
    assert conversation.instance_xml and conversation.status == "completed"


def _simulation_begun(client, project: int, manager: dict, channel: dict) -> str:
    """A survey begun in the simulator of `channel` (MAJI, a first answer); -> its URL."""
    url = f"/v1/projects/{project}/channels/{channel['id']}/simulate"
    for text in ("MAJI", "Kisima"):
        client.post(url, headers=manager, json={"from": PHONE, "text": text})
    return url


def test_a_simulation_asked_to_submit_is_stored_marked_as_simulated(
        client, project, manager, make_channel, engine):
    channel = make_channel("africastalking", "sms")
    url = _simulation_begun(client, project, manager, channel)
    reply = client.post(url, headers=manager, json={"from": PHONE, "text": "42",
                                                    "submit": True})
    assert reply.get_json()["replies"] == ["Asante! Thank you."]
    submission = db.session.scalars(select(Submission)).one()
    assert submission.channel == "simulated-sms"
    listed = client.get(f"/v1/projects/{project}/conversations", headers=manager).get_json()
    assert listed[0]["instanceId"] == submission.instance_id and listed[0]["simulated"]
    bad = client.post(url, headers=manager, json={"from": PHONE, "text": "x", "submit": "yes"})
    assert bad.status_code == 400


def test_a_real_text_finishing_a_simulated_survey_does_not_store_it(
        client, project, manager, make_channel, engine):
    channel = make_channel("simulator", "sms")
    _simulation_begun(client, project, manager, channel)
    inbound = client.post(path(channel["inbound"]), data={"from": PHONE, "text": "42"})
    assert inbound.status_code == 200
    conversation = db.session.scalars(select(Conversation)).one()
    assert conversation.status == "completed" and conversation.session_key == "simulator"
    assert db.session.scalars(select(Submission)).all() == []


def test_the_simulator_works_for_an_africastalking_ussd_channel_too(client, project, manager,
                                                                   make_channel, engine):
    channel = make_channel("africastalking", "ussd", address="*384*1#",
                           settings={"form": "water_point"})
    url = f"/v1/projects/{project}/channels/{channel['id']}/simulate"
    replies = [client.post(url, headers=manager, json={"from": PHONE, "text": t})
               .get_json()["replies"] for t in ("", "Kisima", "42")]
    assert replies == [[f"CON {QUESTIONS[0]}"], [f"CON {QUESTIONS[1]}"],
                       ["END Asante! Thank you.\nThis was a test: nothing was stored."]]


def test_simulate_refuses_a_sender_that_is_not_a_number(client, project, manager,
                                                        make_channel):
    channel = make_channel("simulator", "sms")
    response = client.post(f"/v1/projects/{project}/channels/{channel['id']}/simulate",
                           headers=manager, json={"from": "MTN", "text": "MAJI"})
    assert response.status_code == 400


def test_messages_are_found_by_the_hashed_number(client, project, manager, make_channel,
                                                 engine):
    channel = make_channel("simulator", "sms")
    url = f"/v1/projects/{project}/channels/{channel['id']}/simulate"
    client.post(url, headers=manager, json={"from": PHONE, "text": "MAJI"})
    client.post(url, headers=manager, json={"from": "+254700000002", "text": "MAJI"})
    mine = client.get(f"/v1/projects/{project}/messages?phone=%2B254700000001",
                      headers=manager)
    assert mine.headers["X-Total-Count"] == "2"
    assert [(m["direction"], m["text"]) for m in mine.get_json()] == [
        ("out", QUESTIONS[0]), ("in", "MAJI")]
    assert PHONE not in mine.get_data(as_text=True)
    unknown = client.get(f"/v1/projects/{project}/messages?phone=%2B254799999999",
                         headers=manager)
    assert unknown.get_json() == []
    bad = client.get(f"/v1/projects/{project}/messages?phone=abc", headers=manager)
    assert bad.status_code == 400


def test_the_cli_creates_a_channel_and_prints_its_urls(runner, project):
    result = runner.invoke(args=[
        "channels", "create", "--project", str(project), "--provider", "africastalking",
        "--kind", "ussd", "--address", "*384*1234#", "--username", "datashift",
        "--api-key", "atsk_cli", "--form", "water_point"])
    assert result.exit_code == 0, result.output
    channel = db.session.scalars(select(Channel)).one()
    assert channel.settings == {"form": "water_point"}
    assert f"inbound: http://localhost/webhooks/{channel.id}/" in result.output
    assert "atsk_cli" not in result.output
    missing = runner.invoke(args=["channels", "create", "--project", str(project),
                                  "--provider", "twilio", "--address", "+1202"])
    assert missing.exit_code != 0 and "accountSid" in missing.output


def test_a_confirmed_switch_keeps_the_first_survey_and_starts_the_other(
        client, project, manager, make_channel, engine, publish):
    publish(project, "sdg5_safety")
    channel = make_channel("simulator", "sms")
    url = f"/v1/projects/{project}/channels/{channel['id']}/simulate"

    def say(text: str) -> list[str]:
        return client.post(url, headers=manager, json={"from": PHONE, "text": text}) \
            .get_json()["replies"]

    say("MAJI")
    say("Kisima")
    assert engine.started[0].form_keywords == {"safe": "sdg5_safety"}
    assert say("safe") == ["Stop this survey and start sdg5_safety? YES/NO"]
    assert say("yes") == [QUESTIONS[0]]
    listed = client.get(f"/v1/projects/{project}/conversations", headers=manager).get_json()
    assert sorted((c["form"], c["status"]) for c in listed) == [
        ("sdg5_safety", "active"), ("water_point", "expired")]


def test_a_compact_message_is_stored_with_the_compact_channel(client, project, manager,
                                                              make_channel, engine):
    channel = make_channel("simulator", "sms")
    reply = client.post(f"/v1/projects/{project}/channels/{channel['id']}/simulate",
                        headers=manager, json={"from": PHONE, "text": "MAJI Kisima 42 x",
                                               "submit": True})
    assert reply.get_json()["replies"] == ["Asante! Thank you."]
    assert db.session.scalars(select(Submission)).one().channel == "simulated-compact"

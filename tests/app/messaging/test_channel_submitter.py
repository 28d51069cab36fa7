"""A survey answered over a channel has the channel's own actor as submitter: pyodk lists it
(its model wants an integer submitterId), the submitters endpoint and OData name the channel,
and that actor can never log in."""
from __future__ import annotations

import responses
from sqlalchemy import select

from app.extensions import db
from app.models import Actor, Channel, Submission
from app.services import accounts
from app.services.permissions import principal_for
from tests.app.messaging.helpers import at_accepts, path
from tests.app.messaging.test_real_engine_webhooks import ANSWERS, PHONE
from tests.helpers import logged_in_pyodk

NAME = "SMS 21512 (Africa's Talking)"


def _answer_over_sms(client, channel: dict) -> None:
    responses.start()
    try:
        at_accepts()
        for number, text in enumerate(["maji", *ANSWERS]):
            response = client.post(path(channel["inbound"]), data={
                "linkId": "1", "text": text, "to": "21512", "id": f"in-{number}",
                "date": "2026-11-26 20:00:00", "from": PHONE, "networkCode": "63902"})
            assert response.status_code == 200
    finally:
        responses.stop()
        responses.reset()


def test_pyodk_lists_sms_submissions_with_the_channel_actor_as_submitter(
        client, live_server, project, manager, make_channel, tmp_path):
    channel = make_channel("africastalking", "sms")
    _answer_over_sms(client, channel)
    actor_id = db.session.get(Channel, channel["id"]).actor_id
    # The channel's JSON names its actor, so a submitterId can be traced to its channel.
    assert channel["actorId"] == actor_id
    assert client.get(f"/v1/projects/{project}/channels", headers=manager).get_json()[0][
        "actorId"] == actor_id
    assert db.session.scalars(select(Submission.submitter_id)).all() == [actor_id]

    with logged_in_pyodk(live_server.url, "coordinator@example.org", project,
                         tmp_path) as pyodk:
        listed = pyodk.submissions.list(form_id="water_point")
        assert [s.submitterId for s in listed] == [actor_id]
        row = pyodk.submissions.get_table(form_id="water_point")["value"][0]
    assert (row["__system"]["submitterId"], row["__system"]["submitterName"]) == \
        (str(actor_id), NAME)

    submitters = client.get(f"/v1/projects/{project}/forms/water_point/submissions/submitters",
                            headers=manager).get_json()
    assert [(a["id"], a["type"], a["displayName"]) for a in submitters] == \
        [(actor_id, "channel", NAME)]


def test_a_simulated_submission_has_the_simulated_channel_as_submitter(
        client, project, manager, make_channel):
    channel = make_channel("simulator", "sms", address="")
    url = f"/v1/projects/{project}/channels/{channel['id']}/simulate"
    for text in ["maji", *ANSWERS]:
        assert client.post(url, headers=manager,
                           json={"from": PHONE, "text": text, "submit": True}).status_code == 200
    submission = db.session.scalars(select(Submission)).one()
    actor = db.session.get(Actor, submission.submitter_id)
    assert (submission.channel, actor.type, actor.display_name) == \
        ("simulated-sms", "channel", "SMS (simulator)")
    assert actor.id == db.session.get(Channel, channel["id"]).actor_id


def test_a_channel_actor_cannot_authenticate(client, project, make_channel):
    channel = make_channel("africastalking", "ussd", address="*384*21#")
    actor = db.session.get(Actor, db.session.get(Channel, channel["id"]).actor_id)
    assert (actor.type, actor.display_name) == ("channel", "USSD *384*21# (Africa's Talking)")
    assert principal_for(actor) is None
    # Even a session row naming it (none is ever made) opens nothing.
    token, _ = accounts.open_session(actor.id, 3600)
    db.session.commit()
    for url in ("/v1/users/current", f"/v1/projects/{project}"):
        assert client.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 401

"""A USSD session the network dropped, dialled again through Africa's Talking's real callback:
within the channel's `resumeWindow` the person may continue or start again; after it the old
survey is kept as a partial and a new one starts."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import Conversation
from tests.app.messaging.helpers import ussd_hop as hop

OFFER = "CON You have a survey in progress.\n1. Continue\n2. Start again"


def test_a_redial_within_the_window_offers_to_continue(client, make_channel):
    channel = make_channel("africastalking", "ussd", address="*384*21#",
                           settings={"form": "water_point", "resumeWindow": 300})
    hop(client, channel, "ATUid_1", [])
    county = hop(client, channel, "ATUid_1", ["1"])
    assert hop(client, channel, "ATUid_2", []) == OFFER
    assert hop(client, channel, "ATUid_2", ["1"]) == county
    assert hop(client, channel, "ATUid_3", []) == OFFER
    again = hop(client, channel, "ATUid_3", ["2"])
    assert again.startswith("CON Starting again.\nDo you agree")


def test_a_redial_after_the_window_starts_a_new_survey_and_keeps_the_old(client,
                                                                         make_channel):
    channel = make_channel("africastalking", "ussd", address="*384*21#",
                           settings={"form": "water_point", "resumeWindow": 300})
    hop(client, channel, "ATUid_1", [])
    hop(client, channel, "ATUid_1", ["1"])
    old = db.session.scalars(select(Conversation)).one()
    state = dict(old.state)
    state["last"] = (datetime.now(UTC) - timedelta(minutes=6)).isoformat()
    old.state = state
    db.session.commit()
    assert hop(client, channel, "ATUid_2", []).startswith("CON Do you agree")
    statuses = [c.status for c in db.session.scalars(select(Conversation)
                                                   .order_by(Conversation.id))]
    assert statuses == ["expired", "active"]

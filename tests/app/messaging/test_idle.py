"""Idle SMS surveys: the engine's tick sends one reminder, then expires the survey, which is
kept and picked up again when the person texts back."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.messaging import idle
from app.models import Conversation, Message
from app.models.base import utcnow
from tests.app.messaging.helpers import QUESTIONS, messages

PHONE = "+254700000001"


@pytest.fixture
def simulate(client, project, manager, make_channel, engine):
    channel = make_channel("simulator", "sms")
    url = f"/v1/projects/{project}/channels/{channel['id']}/simulate"
    return lambda text: client.post(url, headers=manager, json={"from": PHONE, "text": text})


def test_an_idle_survey_is_reminded_once_then_expired_then_resumed(simulate, runner):
    simulate("MAJI")
    simulate("Kisima")
    later = utcnow() + timedelta(hours=1)
    outcome = idle.tick_idle(now=later, idle_seconds=600)
    assert [db.session.get(Message, i).text for i in outcome.send] == [
        f"Reminder: {QUESTIONS[1]}"]
    assert idle.tick_idle(now=later, idle_seconds=600).send == []  # not idle yet
    idle.tick_idle(now=later + timedelta(hours=1), idle_seconds=600)
    conversation = db.session.scalars(select(Conversation)).one()
    assert conversation.status == "expired"
    assert simulate("habari").get_json()["replies"] == [QUESTIONS[1]]
    db.session.expire_all()
    assert conversation.status == "active" and conversation.state["answers"] == ["Kisima"]
    assert simulate("42").get_json()["replies"] == ["Asante! Thank you.",
                                                    "This was a test: nothing was stored."]


def test_the_tick_command_queues_reminders(simulate, runner):
    simulate("MAJI")
    conversation = db.session.scalars(select(Conversation)).one()
    conversation.last_activity_at = utcnow() - timedelta(hours=2)
    db.session.commit()
    result = runner.invoke(args=["channels", "tick"])
    assert result.exit_code == 0 and "1 reminder(s) queued" in result.output
    assert messages("out")[-1].text == f"Reminder: {QUESTIONS[0]}"

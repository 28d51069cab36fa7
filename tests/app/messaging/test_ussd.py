"""Africa's Talking USSD: CON/END text/plain screens, the `*`-joined history, retried hops,
a session cut by the network resumed on redial, and a menu when the code has no form."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Conversation, Submission
from tests.app.messaging.helpers import QUESTIONS, path

PHONE = "+254711000111"


def hop(session: str, text: str) -> dict[str, str]:
    return {"sessionId": session, "serviceCode": "*384*1234#", "phoneNumber": PHONE,
            "networkCode": "63902", "text": text}


@pytest.fixture
def ussd(make_channel, engine):
    return make_channel("africastalking", "ussd", address="*384*1234#",
                        settings={"form": "water_point"})


def screen(client, channel, session: str, text: str) -> str:
    response = client.post(path(channel["inbound"]), data=hop(session, text))
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    return response.get_data(as_text=True)


def test_a_ussd_code_with_a_form_walks_it_and_ends_with_a_submission(client, ussd):
    assert set(ussd["webhooks"]) == {"inbound"}
    assert screen(client, ussd, "ATUid_1", "") == f"CON {QUESTIONS[0]}"
    assert screen(client, ussd, "ATUid_1", "Kisima") == f"CON {QUESTIONS[1]}"
    assert screen(client, ussd, "ATUid_1", "Kisima*42") == "END Asante! Thank you."
    assert db.session.scalars(select(Submission)).one().channel == "ussd"


def test_a_retried_hop_gets_the_same_screen_and_never_advances(client, ussd):
    screen(client, ussd, "ATUid_1", "")
    first = screen(client, ussd, "ATUid_1", "Kisima")
    again = screen(client, ussd, "ATUid_1", "Kisima")
    assert first == again == f"CON {QUESTIONS[1]}"
    assert db.session.scalars(select(Conversation)).one().state["answers"] == ["Kisima"]


def test_the_newest_part_of_the_history_is_the_answer(client, ussd):
    screen(client, ussd, "ATUid_1", "")
    screen(client, ussd, "ATUid_1", "1")
    screen(client, ussd, "ATUid_1", "1*2*3")  # only "3" is new
    assert db.session.scalars(select(Conversation)).one().state["answers"] == ["1", "3"]


def test_a_session_cut_by_the_network_resumes_where_it_stopped(client, ussd):
    screen(client, ussd, "ATUid_1", "")
    screen(client, ussd, "ATUid_1", "Kisima")
    assert screen(client, ussd, "ATUid_2", "") == f"CON {QUESTIONS[1]}"
    assert screen(client, ussd, "ATUid_2", "42") == "END Asante! Thank you."


def test_a_code_without_a_form_shows_a_numbered_menu(client, make_channel, engine, project,
                                                     publish):
    publish(project, "health_post")
    channel = make_channel("africastalking", "ussd", address="*384*99#")
    menu = screen(client, channel, "ATUid_9", "")
    assert menu.startswith("CON Choose a survey:\n1. ")
    assert menu.endswith("\n3. My data\n4. Delete my data")  # the citizen's rights after
    assert len(menu.splitlines()) == 5
    assert screen(client, channel, "ATUid_9", "7").startswith(
        "CON Reply with a number from the list.\n")
    assert screen(client, channel, "ATUid_9", "7*1") == f"CON {QUESTIONS[0]}"
    conversation = db.session.scalars(select(Conversation)).one()
    assert conversation.form_id is not None


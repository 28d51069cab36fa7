"""The fast path (a known person answering their open survey): few statements, and the
per-process channel cache never outlives a disable or a delete."""
from __future__ import annotations

import responses
from sqlalchemy import event, select

from app.extensions import db
from app.models import Conversation
from tests.app.messaging.helpers import QUESTIONS, messages, path
from tests.app.messaging.test_africastalking_webhooks import at_accepts, inbound


class Statements:
    """Counts the SQL statements the app runs (SAVEPOINTs included, BEGIN/COMMIT not)."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def __enter__(self) -> Statements:
        event.listen(db.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc) -> None:
        event.remove(db.engine, "before_cursor_execute", self._count)

    def _count(self, conn, cursor, statement, params, context, executemany) -> None:
        self.seen.append(statement.split(None, 1)[0].upper())


@responses.activate
def test_an_answer_takes_three_statements(client, make_channel, engine):
    channel = make_channel("africastalking", "sms")
    at_accepts()
    client.post(path(channel["inbound"]), data=inbound("MAJI", "in-1"))
    before = db.session.scalars(select(Conversation.version)).one()
    db.session.rollback()
    with Statements() as statements:
        response = client.post(path(channel["inbound"]), data=inbound("Kisima", "in-2"))
    assert response.status_code == 200
    # Lock + read, save the state, store inbound + reply; then the send job reads its message
    # (inline here: no REDIS_URL), which is outside the webhook's transaction.
    webhook = statements.seen[:3]
    assert webhook == ["SELECT", "UPDATE", "INSERT"], statements.seen
    conversation = db.session.scalars(select(Conversation)).one()
    assert conversation.state["answers"] == ["Kisima"] and conversation.version == before + 1
    assert [m.text for m in messages("out")] == QUESTIONS
    assert {m.conversation_id for m in messages()} == {conversation.id}


@responses.activate
def test_disabling_or_deleting_a_cached_channel_takes_effect_at_once(client, project, manager,
                                                                    make_channel, engine):
    channel = make_channel("africastalking", "sms")
    at_accepts()
    url = path(channel["inbound"])
    assert client.post(url, data=inbound("MAJI", "in-1")).status_code == 200  # cached now
    settings = f"/v1/projects/{project}/channels/{channel['id']}"
    client.patch(settings, json={"enabled": False}, headers=manager)
    assert client.post(url, data=inbound("Kisima", "in-2")).status_code == 404
    assert client.post(path(channel["delivery"]), data={
        "id": "x", "status": "Success", "phoneNumber": "+254711000111"}).status_code == 404
    assert [m.text for m in messages("in")] == ["MAJI"]  # nothing of the refused text kept
    client.patch(settings, json={"enabled": True}, headers=manager)
    assert client.post(url, data=inbound("Kisima", "in-2")).status_code == 200
    client.delete(settings, headers=manager)
    assert client.post(url, data=inbound("42", "in-3")).status_code == 404
    conversation = db.session.scalars(select(Conversation)).one()
    assert conversation.state["answers"] == ["Kisima"]


def test_a_wrong_secret_is_refused_even_when_the_channel_is_cached(client, make_channel,
                                                                   engine):
    channel = make_channel("simulator", "sms")
    url = path(channel["inbound"])
    assert client.post(url, data={"from": "+254700000009", "text": "MAJI"}).status_code == 200
    secret = url.split("/")[3]
    wrong = url.replace(secret, secret[:-1] + ("A" if secret[-1] != "A" else "B"))
    assert client.post(wrong, data={"from": "+254700000009", "text": "x"}).status_code == 404

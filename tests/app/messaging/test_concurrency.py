"""Two workers at once (PostgreSQL, real HTTP in threads): one person's two texts never corrupt
the session, and one text delivered twice at once is handled once."""
from __future__ import annotations

import threading
from urllib.parse import urlsplit

import pytest
import requests
import responses
from sqlalchemy import select

from app.extensions import db
from app.models import Conversation
from tests.app.messaging.helpers import messages

SEND_URL = "https://api.africastalking.com/version1/messaging"
PHONE = "+254711000111"


@pytest.fixture
def channel(app, live_server, make_channel, engine):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row locks are a PostgreSQL matter; SQLite serialises writers itself")
    return make_channel("africastalking", "sms")


def post_at_once(url: str, bodies: list[dict[str, str]]) -> list[int]:
    """POST every body from its own thread, released together."""
    barrier = threading.Barrier(len(bodies))
    statuses: list[int] = [0] * len(bodies)

    def run(index: int) -> None:
        barrier.wait()
        statuses[index] = requests.post(url, data=bodies[index], timeout=30).status_code

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def body(text: str, message_id: str) -> dict[str, str]:
    return {"linkId": "1", "text": text, "to": "21512", "id": message_id,
            "date": "2017-05-03T06:04:45Z", "from": PHONE}


def local(url: str, live_server) -> str:
    return live_server.url + urlsplit(url).path


@pytest.fixture
def at_ok():
    counter = iter(range(1, 1000))
    lock = threading.Lock()

    def reply(request):
        with lock:
            number = next(counter)
        return 200, {"Content-Type": "application/json"}, (
            '{"SMSMessageData": {"Recipients": [{"statusCode": 101, "status": "Success", '
            f'"messageId": "ATXid_{number}"}}]}}}}')

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_passthru("http://127.0.0.1")
        mock.add_callback(responses.POST, SEND_URL, callback=reply)
        yield mock


def test_two_texts_of_one_person_at_once_both_count(channel, live_server, engine, at_ok):
    url = local(channel["inbound"], live_server)
    assert requests.post(url, data=body("MAJI", "in-0"), timeout=30).status_code == 200
    engine.delay = 0.3  # both workers are inside the engine at the same time without the lock
    assert post_at_once(url, [body("Kisima", "in-1"), body("42", "in-2")]) == [200, 200]
    db.session.expire_all()
    conversation = db.session.scalars(select(Conversation)).one()
    assert sorted(conversation.state["answers"]) == ["42", "Kisima"]
    assert conversation.status == "completed"
    assert len(messages("out")) == 3
    # The row lock made the second worker wait; it never computed on a stale state and had
    # to be re-run (the version column alone would have cost a third step).
    assert engine.steps == 2


def test_one_text_delivered_twice_at_once_is_handled_once(channel, live_server, engine, at_ok):
    url = local(channel["inbound"], live_server)
    requests.post(url, data=body("MAJI", "in-0"), timeout=30)
    engine.delay = 0.3
    assert post_at_once(url, [body("Kisima", "in-1")] * 3) == [200, 200, 200]
    db.session.expire_all()
    assert db.session.scalars(select(Conversation)).one().state["answers"] == ["Kisima"]
    assert len(messages("in")) == 2
    assert len(messages("out")) == 2

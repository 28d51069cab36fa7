"""The README's whole SMS conversation (consent declined, then a survey in Kiswahili with
consent, progress and hints, MYDATA and DELETE) is what the app answers: its block replayed
through Africa's Talking's callbacks, every reply the SDK sends compared with the README's."""
from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs

import responses
from sqlalchemy import func, select

from app.extensions import db
from app.models import Contact, ErasureRequest, Submission
from tests.app.messaging.helpers import at_accepts, path

README = Path(__file__).resolve().parents[3] / "README.md"
PHONE = "+254711000999"


def readme_conversation() -> list[tuple[str, str]]:
    """(what the citizen sends, our replies joined by newlines) from the README's block."""
    text = README.read_text(encoding="utf-8")
    block = re.search(r"`<` our replies\.\n\n```\n(.*?)```", text, re.S)
    assert block, "the README's SMS conversation block is gone"
    turns: list[tuple[str, list[str]]] = []
    for line in block.group(1).splitlines():
        if line.startswith("> "):
            turns.append((line[2:], []))
        elif line.startswith("< "):
            turns[-1][1].append(line[2:])
        else:
            assert line.startswith("  "), line
            turns[-1][1][-1] += "\n" + line[2:]
    return [(said, "\n".join(replies)) for said, replies in turns]


@responses.activate
def test_the_readme_conversation_is_what_a_citizen_gets(client, make_project, publish_with,
                                                       make_user, login, app):
    app.config["SMS_NUMBER_PER_MINUTE"] = 0  # the replay sends 21 texts within a second
    project = make_project("Maji CSO")
    publish_with(project, "water_point", consent="consent", sms_progress="yes")
    make_user("readme@example.org", roles={project: "manager"})
    channel = client.post(f"/v1/projects/{project}/channels",
                          headers=login("readme@example.org"), json={
        "provider": "africastalking", "kind": "sms", "address": "21512",
        "credentials": {"username": "datashift", "apiKey": "atsk_secret"}}).get_json()
    at_accepts()
    today = datetime.now(UTC).strftime("%d/%m/%Y")
    turns = readme_conversation()
    assert len(turns) > 15
    for number, (said, replies) in enumerate(turns):
        before = len(responses.calls)
        response = client.post(path(channel["inbound"]), data={
            "linkId": "1", "text": said, "to": "21512", "id": f"readme-{number}",
            "date": "2026-12-07 10:00:00", "from": PHONE, "networkCode": "63902"})
        assert response.status_code == 200
        sent = "\n".join(parse_qs(c.request.body)["message"][0]
                         for c in responses.calls[before:])
        expected = re.sub(r"\d\d/\d\d/20\d\d", today, replies)
        assert sent == expected, f"README turn {number}: {said!r}"
    assert db.session.scalar(select(func.count(Submission.id))) == 0
    assert db.session.scalar(select(func.count(Contact.id))) == 0
    assert db.session.scalars(select(ErasureRequest)).one().status == "erased"

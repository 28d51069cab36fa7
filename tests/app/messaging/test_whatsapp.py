"""WhatsApp through Twilio, end to end: Twilio's signed WhatsApp webhooks (checked by the SDK's
RequestValidator), the same engine with WhatsApp's limits, a photo question answered with a
photo downloaded from a local stub of Twilio's media endpoint with the channel's credentials
and stored as the submission's attachment, and no free text outside the 24-hour session."""
from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
import responses
from sqlalchemy import func, select, update

from app.extensions import db
from app.messaging import finish, idle, outbound
from app.models import Blob, Conversation, Message, Submission, SubmissionAttachment
from app.services import storage
from tests.app.messaging.helpers import twilio_whatsapp_in
from tests.fixtures.twilio_media import JPEG, SID, TOKEN, MediaStub

SEND_URL = f"https://api.twilio.com/2010-04-01/Accounts/{SID}/Messages.json"
SENDER, PERSON = "+14155238886", "+254700000002"
ESCUELA = ["ESCUELA", "1", "Escuela 5", "100", "40", "1 3", "Sí"]
sids = itertools.count(1)


@pytest.fixture
def whatsapp(client, project, manager, publish, app):
    publish(project, "escuela")
    response = client.post(f"/v1/projects/{project}/channels", headers=manager, json={
        "provider": "twilio", "kind": "whatsapp", "address": SENDER,
        "credentials": {"accountSid": SID, "authToken": TOKEN}})
    assert response.status_code == 201, response.get_json()
    channel = response.get_json()
    assert set(channel["webhooks"]) == {"inbound", "status"}
    return channel


@pytest.fixture
def media(app):
    with MediaStub() as stub:
        app.config["TWILIO_MEDIA_PREFIXES"] = ",".join(stub.prefixes)
        for prefix in stub.prefixes:  # the stub is real HTTP on the loopback
            responses.add_passthru(prefix)
        yield stub


def twilio_accepts() -> None:
    responses.add_callback(responses.POST, SEND_URL, callback=lambda request: (
        201, {"Content-Type": "application/json"},
        f'{{"sid": "SM{next(sids):032d}", "status": "queued"}}'))


def whatsapp_in(client, channel, body: str = "", media_url: str | None = None) -> list[str]:
    """One WhatsApp message as Twilio posts it, signed; -> the bodies sent back."""
    sent = twilio_whatsapp_in(client, channel, body, number=next(sids), phone=PERSON,
                              sender=SENDER, account_sid=SID, token=TOKEN, profile="Amina",
                              send_url=SEND_URL, media_url=media_url)
    assert all(s["To"] == [f"whatsapp:{PERSON}"] and s["From"] == [f"whatsapp:{SENDER}"]
               for s in sent)
    return [s["Body"][0] for s in sent]


@responses.activate
def test_a_survey_by_whatsapp_with_a_photo_answer_lands_with_its_attachment(client, whatsapp,
                                                                           media):
    twilio_accepts()
    for body in ESCUELA[:-1]:
        whatsapp_in(client, whatsapp, body)
    assert whatsapp_in(client, whatsapp, ESCUELA[-1]) == [
        "Foto de la fachada (opcional)\nEnvíe una foto. Opcional: envíe SALTAR para saltarla."]
    assert whatsapp_in(client, whatsapp, "", media.url)[0].startswith("Ubicación")
    whatsapp_in(client, whatsapp, "-24.78 -65.41")
    assert whatsapp_in(client, whatsapp, "Falta agua 💧") == [
        "¡Gracias! Sus respuestas se guardaron."]
    submission = db.session.scalars(select(Submission)).one()
    assert submission.channel == "whatsapp"
    attachment = db.session.scalars(select(SubmissionAttachment)).one()
    assert attachment.name == "ME21a471363917430480386e702f566e43.jpg"
    blob = db.session.get(Blob, attachment.blob_id)
    assert storage.blob_path(blob.sha256).read_bytes() == JPEG
    (first, auth), (cdn, cdn_auth) = media.seen
    assert auth.startswith("Basic ") and cdn_auth is None  # credentials stay with Twilio
    assert submission.defs[0].data["root"]["/data/problema"] == "Falta agua 💧"


@responses.activate
def test_a_photo_twilio_cannot_serve_yet_is_fetched_again_by_the_tick(client, whatsapp,
                                                                      media):
    twilio_accepts()
    for body in ESCUELA:
        whatsapp_in(client, whatsapp, body)
    whatsapp_in(client, whatsapp, "", media.url)
    whatsapp_in(client, whatsapp, "SALTAR")
    media.failing = True
    whatsapp_in(client, whatsapp, "Falta agua")
    conversation = db.session.scalars(select(Conversation)).one()
    db.session.refresh(conversation)
    assert conversation.status == "completed" and conversation.instance_id is None
    assert conversation.error.startswith("media: ")
    assert db.session.scalar(select(func.count(Submission.id))) == 0
    media.failing = False
    finish.after_commit(idle.tick_idle())
    assert db.session.scalar(select(func.count(SubmissionAttachment.id))) == 1


@responses.activate
def test_nothing_is_sent_as_free_text_outside_the_24_hour_session(client, whatsapp):
    twilio_accepts()
    whatsapp_in(client, whatsapp, "ESCUELA")
    db.session.execute(update(Message).where(Message.direction == "in").values(
        created_at=datetime.now(UTC) - timedelta(hours=25)))
    db.session.commit()
    conversation = db.session.scalars(select(Conversation)).one()
    from app.messaging import contacts
    from app.models import Channel

    channel = db.session.get(Channel, whatsapp["id"])
    message_id = outbound.queue(channel, contacts.lock(conversation.contact_id), "Hola")
    db.session.commit()
    before = len(responses.calls)
    assert outbound.send(message_id) == "failed"
    assert len(responses.calls) == before  # Twilio never asked
    assert "24-hour session" in db.session.get(Message, message_id).error


def test_a_whatsapp_simulator_channel_runs_the_same_engine(client, project, manager, publish,
                                                           make_channel):
    publish(project, "escuela")
    channel = make_channel("simulator", "whatsapp", address="")
    url = f"/v1/projects/{project}/channels/{channel['id']}/simulate"
    replies = [client.post(url, headers=manager, json={"from": PERSON, "text": text})
               .get_json()["replies"] for text in ESCUELA]
    assert replies[-1] == ["Foto de la fachada (opcional)\n"
                           "Envíe una foto. Opcional: envíe SALTAR para saltarla."]
    conversation = db.session.scalars(select(Conversation)).one()
    assert conversation.medium == "whatsapp"


def test_africas_talking_has_no_whatsapp(client, project, manager):
    response = client.post(f"/v1/projects/{project}/channels", headers=manager, json={
        "provider": "africastalking", "kind": "whatsapp", "address": "21512",
        "credentials": {"username": "u", "apiKey": "k"}})
    assert response.status_code == 400
    assert "africastalking serves sms, ussd" in response.get_json()["message"]

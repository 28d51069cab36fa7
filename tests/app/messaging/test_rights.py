"""MYDATA and DELETE by text, end to end on SQLite and PostgreSQL: two citizens answer the
water point survey over Africa's Talking (real callbacks, the SDK's sends caught at the HTTP
layer); one asks what we hold and erases it. Afterwards no export, OData row, cleaned record,
SDG tag, webhook delivery (so no retry) or indicator count holds that citizen's answers, the
number matches nothing, and one audit entry and the erasure request remain, with counts."""
from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import pytest
import responses
from sqlalchemy import func, select

from app import crypto
from app.extensions import db
from app.models import (
    Audit,
    CleanedRecord,
    Contact,
    Conversation,
    ErasureRequest,
    IndicatorCell,
    Message,
    SdgTag,
    Submission,
    SubmissionDef,
    WebhookDelivery,
)
from tests.app.messaging.helpers import at_accepts, path, ussd_hop

AMINA, BARAKA = "+254711000333", "+254711000444"
SECRET_WORDS = "Kisima cha Amina"
ANSWERS = ["1", "1", "2", "7", SECRET_WORDS, "2", "12", "40", "1 3", "SKIP", "-0.09 34.77",
           "Maji ya Amina ni machafu"]
ids = itertools.count(1)


@pytest.fixture
def water(client, project, admin_headers, app):
    """An AT SMS channel, a webhook that cannot be reached (deliveries left to retry) and an
    indicator counting broken water points."""
    app.config["WEBHOOK_ALLOW_NETWORKS"] = "127.0.0.0/8"
    form = f"/v1/projects/{project}/forms/water_point"
    hook = client.post(f"{form}/webhooks", headers=admin_headers, json={
        "url": "http://127.0.0.1:9/hook", "secret": "s" * 20})
    assert hook.status_code == 200, hook.get_json()
    indicator = client.post(f"/v1/projects/{project}/indicators", headers=admin_headers, json={
        "code": "broken", "sdg": "6.1.1", "form": "water_point", "kind": "count",
        "numerator": "${functional} = 'no'"})
    assert indicator.status_code in (200, 201), indicator.get_json()
    channel = client.post(f"/v1/projects/{project}/channels", headers=admin_headers, json={
        "provider": "africastalking", "kind": "sms", "address": "21512",
        "credentials": {"username": "datashift", "apiKey": "atsk_secret"}})
    return channel.get_json()


def say(client, channel, phone: str, text: str) -> str:
    """One text in; the replies the SDK sent to that number for it."""
    before = len(responses.calls)
    response = client.post(path(channel["inbound"]), data={
        "linkId": "1", "text": text, "to": "21512", "id": f"in-{next(ids)}",
        "date": "2026-12-07 10:00:00", "from": phone, "networkCode": "63902"})
    assert response.status_code == 200
    sent = [parse_qs(c.request.body) for c in responses.calls[before:]]
    return "\n".join(s["message"][0] for s in sent if s["to"] == [phone])


def survey(client, channel, phone: str, answers: list[str]) -> None:
    say(client, channel, phone, "MAJI")
    for text in answers:
        say(client, channel, phone, text)


def indicator_count() -> int:
    return db.session.scalar(select(func.coalesce(func.sum(IndicatorCell.n), 0)))


def export_text(client, project, headers) -> str:
    base = f"/v1/projects/{project}/forms/water_point"
    csv = client.get(f"{base}/submissions.csv", headers=headers).get_data(as_text=True)
    jsonl = client.get(f"{base}/submissions.jsonl", headers=headers).get_data(as_text=True)
    odata = client.get(f"{base}.svc/Submissions", headers=headers).get_data(as_text=True)
    return "\n".join([csv, jsonl, odata])


@responses.activate
def test_mydata_then_delete_erases_everything_from_that_number(client, project, water,
                                                              admin_headers):
    at_accepts()
    survey(client, water, AMINA, ANSWERS)
    survey(client, water, BARAKA, [a.replace("Amina", "Baraka") for a in ANSWERS])
    assert db.session.scalar(select(func.count(Submission.id))) == 2
    amina = db.session.scalar(select(Contact.id).where(
        Contact.phone_hash == crypto.phone_hash(AMINA)))
    amina_defs = list(db.session.scalars(select(SubmissionDef.id).join(
        Conversation, Conversation.instance_id == SubmissionDef.instance_id)
        .where(Conversation.contact_id == amina)))
    assert len(amina_defs) == 1
    assert db.session.scalar(select(func.count(CleanedRecord.id)).where(
        CleanedRecord.submission_def_id.in_(amina_defs))) == 1
    assert db.session.scalar(select(func.count(SdgTag.id)).where(
        SdgTag.submission_def_id.in_(amina_defs))) > 0  # tagged, so erasing the tags is seen
    assert db.session.scalar(select(func.count(WebhookDelivery.id))) == 2
    assert indicator_count() == 2
    assert SECRET_WORDS in export_text(client, project, admin_headers)
    job = client.get(f"/v1/projects/{project}/forms/water_point/submissions.csv?async=true",
                     headers=admin_headers)
    assert job.status_code == 202
    job_url = job.headers["Location"]

    today = datetime.now(UTC).strftime("%d/%m/%Y")
    assert say(client, water, AMINA, "MYDATA") == (
        "From this number we hold 1 survey(s) and the messages about them:\n"
        f"- Water point monitoring, {today}, SMS\nSend DELETE to erase them.")
    assert say(client, water, AMINA, "DELETE") == (
        "Erase the 1 survey(s) sent from this number, their messages and the number itself? "
        "This cannot be undone.\n1. Erase\n2. Keep")
    assert say(client, water, AMINA, "1") == (
        "Done: everything sent from this number, and the number, has been erased.")

    # The submission, everywhere it was.
    assert db.session.scalar(select(func.count(Submission.id))) == 1
    assert db.session.scalar(select(func.count(SubmissionDef.id)).where(
        SubmissionDef.id.in_(amina_defs))) == 0
    for model in (CleanedRecord, SdgTag):
        assert db.session.scalar(select(func.count()).select_from(model).where(
            model.submission_def_id.in_(amina_defs))) == 0
    assert db.session.scalar(select(func.count(WebhookDelivery.id))) == 1  # Baraka's only
    assert indicator_count() == 1
    exported = export_text(client, project, admin_headers)
    assert "Amina" not in exported and "Kisima cha Baraka" in exported
    assert client.get(f"{job_url}/file", headers=admin_headers).status_code == 404
    # The number and everything it sent.
    assert db.session.get(Contact, amina) is None
    assert db.session.scalar(select(func.count(Message.id)).where(
        Message.contact_id == amina)) == 0
    assert db.session.scalar(select(func.count(Conversation.id)).where(
        Conversation.contact_id == amina)) == 0
    # What remains: counts, no personal data.
    request = db.session.scalars(select(ErasureRequest)).one()
    assert (request.status, request.via, request.contact_id, request.submissions,
            request.conversations) == ("erased", "sms", None, 1, 1)
    audit = db.session.scalars(select(Audit).where(Audit.action == "contact.erase")).one()
    assert AMINA not in json.dumps(audit.details) and audit.details["submissions"] == 1
    # The same number again is a stranger.
    assert "Send MAJI to start a survey." in say(client, water, AMINA, "hello")


@responses.activate
def test_anything_but_yes_keeps_everything(client, project, water):
    at_accepts()
    survey(client, water, AMINA, ANSWERS)
    say(client, water, AMINA, "FUTA")
    assert say(client, water, AMINA, "2") == "Nothing was erased."
    say(client, water, AMINA, "BORRAR")
    assert say(client, water, AMINA, "MAJI") == "Nothing was erased."  # not a survey now
    assert db.session.scalar(select(func.count(Submission.id))) == 1
    requests = db.session.scalars(select(ErasureRequest).order_by(ErasureRequest.id)).all()
    assert [(r.status, r.contact_id) for r in requests] == [("kept", None), ("kept", None)]


@responses.activate
def test_a_delete_not_answered_in_time_erases_nothing(client, project, water, app):
    at_accepts()
    survey(client, water, AMINA, ANSWERS)
    say(client, water, AMINA, "DELETE")
    contact = db.session.scalars(select(Contact)).one()
    contact.erasure_requested_at = datetime.now(UTC) - timedelta(hours=2)
    db.session.commit()
    # Too late: "1" is an ordinary text now (no survey open: the keywords that open one).
    assert say(client, water, AMINA, "1") == "Send MAJI to start a survey."
    assert db.session.scalar(select(func.count(Submission.id))) == 1
    assert db.session.scalars(select(ErasureRequest)).one().status == "kept"


@responses.activate
def test_mydata_mid_survey_leaves_the_survey_where_it_was(client, project, water):
    at_accepts()
    say(client, water, AMINA, "MAJI")
    say(client, water, AMINA, "1")
    assert say(client, water, AMINA, "TAARIFA ZANGU") == (
        "From this number we hold 1 survey(s) and the messages about them:\n"
        "- 1 unfinished survey(s) (your answers so far)\nSend DELETE to erase them.")
    assert say(client, water, AMINA, "1").startswith("Which ward?")
    conversation = db.session.scalars(select(Conversation)).one()
    assert conversation.status == "active"


def hop(client, channel, session: str, history: list[str]) -> str:
    return ussd_hop(client, channel, session, history, AMINA)


@responses.activate
def test_my_data_and_delete_my_data_are_ussd_menu_entries(client, project, water,
                                                          admin_headers):
    at_accepts()
    survey(client, water, AMINA, ["LUGHA", "2", *ANSWERS])  # in Kiswahili, by SMS
    ussd = client.post(f"/v1/projects/{project}/channels", headers=admin_headers, json={
        "provider": "africastalking", "kind": "ussd", "address": "*384*7#",
        "credentials": {"username": "datashift", "apiKey": "atsk_secret"}}).get_json()
    today = datetime.now(UTC).strftime("%d/%m/%Y")
    assert hop(client, ussd, "ATUid_1", []) == (
        "CON Chagua utafiti:\n1. Water point monitoring\n2. Taarifa zangu\n"
        "3. Futa taarifa zangu")
    assert hop(client, ussd, "ATUid_1", ["2"]) == (
        "END Kutoka namba hii tuna tafiti 1 na jumbe zake:\n"
        f"- Water point monitoring, {today}, SMS\nTuma FUTA kuzifuta.")
    assert hop(client, ussd, "ATUid_2", []).endswith("3. Futa taarifa zangu")
    assert hop(client, ussd, "ATUid_2", ["3"]) == (
        "CON Ufute tafiti 1 zilizotumwa kutoka namba hii, jumbe zake na namba yenyewe? "
        "Haiwezi kurudishwa.\n1. Futa\n2. Hifadhi")
    assert hop(client, ussd, "ATUid_2", ["3", "1"]) == (
        "END Imefanyika: kila kitu kilichotumwa kutoka namba hii, na namba yenyewe, "
        "kimefutwa.")
    assert db.session.scalar(select(func.count(Submission.id))) == 0
    assert db.session.scalar(select(func.count(Contact.id))) == 0
    request = db.session.scalars(select(ErasureRequest)).one()
    assert (request.via, request.status, request.submissions) == ("ussd", "erased", 1)


@responses.activate
def test_rights_words_typed_in_a_ussd_survey(client, project, water, admin_headers):
    at_accepts()
    ussd = client.post(f"/v1/projects/{project}/channels", headers=admin_headers, json={
        "provider": "africastalking", "kind": "ussd", "address": "*384*8#",
        "settings": {"form": "water_point"},
        "credentials": {"username": "datashift", "apiKey": "atsk_secret"}}).get_json()
    hop(client, ussd, "ATUid_5", [])
    assert hop(client, ussd, "ATUid_5", ["MYDATA"]) == (
        "END From this number we hold 1 survey(s) and the messages about them:\n"
        "- 1 unfinished survey(s) (your answers so far)\nSend DELETE to erase them.")
    assert hop(client, ussd, "ATUid_6", []).startswith("CON Welcome back.\nDo you agree")


@responses.activate
def test_an_erased_number_whose_last_reply_never_went_is_swept(client, project, water,
                                                               monkeypatch):
    from app.messaging import idle, jobs

    at_accepts()
    say(client, water, AMINA, "DELETE")
    monkeypatch.setattr(jobs, "enqueue_send", lambda ids: None)  # queued; no worker runs
    say(client, water, AMINA, "1")
    contact = db.session.scalars(select(Contact)).one()  # nameless, waiting for its reply
    assert contact.erased_at is not None and contact.phone_hash.startswith("erased:")
    idle.tick_idle(now=datetime.now(UTC) + timedelta(minutes=30))
    assert db.session.scalar(select(func.count(Contact.id))) == 1
    idle.tick_idle(now=datetime.now(UTC) + timedelta(hours=2))
    assert db.session.scalar(select(func.count(Contact.id))) == 0
    assert db.session.scalar(select(func.count(Message.id))) == 0


@responses.activate
def test_managers_list_erasure_requests_without_personal_data(client, project, water, manager,
                                                              make_user, login):
    at_accepts()
    survey(client, water, AMINA, ANSWERS)
    say(client, water, AMINA, "DELETE")
    say(client, water, AMINA, "1")
    say(client, water, BARAKA, "FUTA")
    url = f"/v1/projects/{project}/erasure-requests"
    listed = client.get(url, headers=manager)
    assert listed.status_code == 200 and listed.headers["X-Total-Count"] == "2"
    pending, erased = listed.get_json()
    assert (pending["status"], pending["via"], pending["submissions"]) == ("pending", "sms", 0)
    assert (erased["status"], erased["submissions"], erased["conversations"]) == (
        "erased", 1, 1)
    assert erased["messages"] >= 2 * len(ANSWERS)
    assert set(erased) == {"id", "channelId", "via", "status", "requestedAt", "decidedAt",
                           "submissions", "conversations", "messages"}
    body = listed.get_data(as_text=True)
    assert AMINA not in body and BARAKA not in body and "711000" not in body
    assert [r["status"] for r in client.get(f"{url}?status=erased",
                                            headers=manager).get_json()] == ["erased"]
    assert client.get(f"{url}?status=gone", headers=manager).status_code == 400
    make_user("viewer@example.org", roles={project: "viewer"})
    assert client.get(url, headers=login("viewer@example.org")).status_code == 403

"""Outbound webhooks end to end on SQLite and PostgreSQL (inline: no Redis): a real receiver
on 127.0.0.1 gets created, edited and reviewed events after the pipeline ran, signed."""
from __future__ import annotations

import socket

from sqlalchemy import func, select

from app.extensions import db
from app.models import CleanedRecord, WebhookDelivery
from app.pipeline.clean import hash_phone
from app.webhooks import signing
from tests.app.webhooks.conftest import NUMBER, SECRET, Receiver, instance

PHONE_HASH = hash_phone(b"test-phone-key", NUMBER)


def _create(client, base, headers, url, **extra):
    return client.post(f"{base}/webhooks", headers=headers,
                       json={"url": url, "secret": SECRET, **extra})


def _submit(client, base, headers, xml: bytes):
    response = client.post(f"{base}/submissions", headers={**headers,
                           "Content-Type": "application/xml"}, data=xml)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_created_edited_reviewed_reach_the_receiver_signed(client, base, manager, receiver,
                                                            new_iid):
    hook = _create(client, base, manager, receiver.url, includeXml=True)
    assert hook.status_code == 200, hook.get_json()
    body = hook.get_json()
    assert "secret" not in body and SECRET not in hook.get_data(as_text=True)
    assert body["events"] == ["submission.created", "submission.updated",
                              "submission.reviewed"]
    first = new_iid()
    _submit(client, base, manager, instance(first))

    assert len(receiver.requests) == 1
    created = receiver.requests[0]
    headers = created["headers"]
    assert signing.verify(SECRET, created["body"], headers[signing.HEADER])
    assert not signing.verify("another-secret-of-length", created["body"],
                              headers[signing.HEADER])
    assert headers[signing.EVENT_HEADER] == "submission.created"
    assert headers["Content-Type"] == "application/json"
    assert created["path"] == "/hook?source=datashift"
    event = created["json"]
    assert headers[signing.DELIVERY_HEADER] == event["deliveryId"]
    assert event["event"] == "submission.created"
    assert (event["instanceId"], event["rootInstanceId"], event["deprecatedId"]) == (
        first, first, None)
    assert event["xmlFormId"] == "hotline" and event["channel"] == "api"
    assert event["reviewState"] is None
    # The pipeline ran first: the cleaned record, typed, with the number only as its hash
    # (the project keeps clear numbers; webhooks never send them) - in the XML too.
    stored = db.session.scalar(select(CleanedRecord.record))
    assert stored["/data/caller_phone"] == NUMBER
    assert event["record"]["/data/households"] == 12
    assert event["record"]["/data/caller_phone"] == PHONE_HASH
    assert {t["goal"] for t in event["sdgTags"]} >= {6, 4}
    assert all(t["source"] in ("form", "model") for t in event["sdgTags"])
    assert NUMBER not in created["body"].decode()
    assert PHONE_HASH in event["xml"] and first in event["xml"]
    assert event["processedAt"] and event["submissionCreatedAt"]

    second = new_iid()
    edit = client.put(f"{base}/submissions/{first}", headers={
        **manager, "Content-Type": "application/xml"},
        data=instance(second, households="14", deprecated=first))
    assert edit.status_code == 200, edit.get_json()
    updated = receiver.requests[1]["json"]
    assert receiver.requests[1]["headers"][signing.EVENT_HEADER] == "submission.updated"
    assert (updated["event"], updated["instanceId"], updated["rootInstanceId"],
            updated["deprecatedId"]) == ("submission.updated", second, first, first)
    assert updated["record"]["/data/households"] == 14
    assert updated["reviewState"] == "edited"

    review = client.patch(f"{base}/submissions/{first}", headers=manager,
                          json={"reviewState": "approved"})
    assert review.status_code == 200
    reviewed = receiver.requests[2]["json"]
    assert signing.verify(SECRET, receiver.requests[2]["body"],
                          receiver.requests[2]["headers"][signing.HEADER])
    assert (reviewed["event"], reviewed["reviewState"], reviewed["previousReviewState"]) == (
        "submission.reviewed", "approved", "edited")
    assert reviewed["rootInstanceId"] == first and reviewed["instanceId"] == second
    assert reviewed["record"]["/data/households"] == 14
    # The same state again is audited but is no change: nothing sent.
    client.patch(f"{base}/submissions/{first}", headers=manager,
                 json={"reviewState": "approved"})
    assert len(receiver.requests) == 3

    log = client.get(f"{base}/webhooks/{body['id']}/deliveries", headers=manager)
    assert log.headers["X-Total-Count"] == "3"
    rows = log.get_json()
    assert [r["event"] for r in rows] == ["submission.reviewed", "submission.updated",
                                          "submission.created"]
    assert all(r["status"] == "succeeded" and r["attempts"] == 1 and r["lastStatusCode"] == 200
               and r["deliveredAt"] and r["responseTimeMs"] is not None for r in rows)
    assert rows[2]["instanceId"] == first and rows[1]["instanceId"] == second
    page = client.get(f"{base}/webhooks/{body['id']}/deliveries?limit=1&offset=1",
                      headers=manager).get_json()
    assert [r["event"] for r in page] == ["submission.updated"]
    done = client.get(f"{base}/webhooks/{body['id']}/deliveries?status=succeeded",
                      headers=manager)
    assert done.headers["X-Total-Count"] == "3"
    assert client.get(f"{base}/webhooks/{body['id']}/deliveries?status=failed",
                      headers=manager).get_json() == []
    # A misspelt filter is an error naming what is allowed, not an empty list that reads "none".
    typo = client.get(f"{base}/webhooks/{body['id']}/deliveries?status=succeded",
                      headers=manager)
    assert typo.status_code == 400
    assert typo.get_json()["details"] == {
        "field": "status", "value": "succeded",
        "reason": "expected one of pending, retrying, succeeded, failed, cancelled"}


def test_without_include_xml_and_with_chosen_events(client, base, manager, receiver, new_iid):
    created = _create(client, base, manager, receiver.url, events=["submission.reviewed"])
    assert created.get_json()["includeXml"] is False
    iid = new_iid()
    _submit(client, base, manager, instance(iid))
    assert receiver.requests == []
    client.patch(f"{base}/submissions/{iid}", headers=manager,
                 json={"reviewState": "hasIssues"})
    event = receiver.requests[0]["json"]
    assert event["event"] == "submission.reviewed" and "xml" not in event
    assert event["previousReviewState"] is None


def test_reprocessing_does_not_send_again(client, base, manager, receiver, new_iid, form):
    from app.pipeline import dispatch, reprocess

    _create(client, base, manager, receiver.url)
    _submit(client, base, manager, instance(new_iid()))
    assert len(receiver.requests) == 1
    def_ids = reprocess.select_defs(form_id=form.id)
    for def_id in def_ids:
        reprocess.run_now(def_id)                      # fresh=False
    dispatch.after_commit(reprocess.request(def_ids))  # through the outbox, as workers do
    # A webhook created later is not told about older submissions by a re-run either.
    receiver2 = Receiver()
    try:
        _create(client, base, manager, receiver2.url)
        dispatch.after_commit(reprocess.request(def_ids))
        assert receiver2.requests == []
    finally:
        receiver2.stop()
    assert len(receiver.requests) == 1
    assert db.session.scalar(select(func.count()).select_from(WebhookDelivery)) == 1


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_ingest_succeeds_when_the_receiver_is_down_and_a_retry_delivers(client, base, manager,
                                                                         new_iid):
    port = _closed_port()
    hook = _create(client, base, manager, f"http://127.0.0.1:{port}/in").get_json()
    iid = new_iid()
    _submit(client, base, manager, instance(iid))
    assert client.get(f"{base}/submissions/{iid}", headers=manager).status_code == 200
    [row] = client.get(f"{base}/webhooks/{hook['id']}/deliveries", headers=manager).get_json()
    assert row["status"] == "failed" and row["attempts"] == 1
    assert row["lastStatusCode"] is None and row["lastError"] == "refused"

    late = Receiver(port)
    try:
        retried = client.post(f"{base}/webhooks/{hook['id']}/deliveries/{row['id']}/retry",
                              headers=manager)
        assert retried.status_code == 200
        again = retried.get_json()
        assert (again["status"], again["attempts"], again["lastStatusCode"]) == (
            "succeeded", 2, 200)
        assert again["lastError"] is None
        assert late.requests[0]["json"]["instanceId"] == iid
        assert late.requests[0]["headers"][signing.DELIVERY_HEADER] == row["deliveryId"]
    finally:
        late.stop()
    missing = client.post(f"{base}/webhooks/{hook['id']}/deliveries/999999/retry",
                          headers=manager)
    assert missing.status_code == 404


def test_errors_and_redirects_are_failures_never_followed(client, base, manager, receiver,
                                                         new_iid):
    receiver.codes.extend([302, 500])
    hook = _create(client, base, manager, receiver.url).get_json()
    _submit(client, base, manager, instance(new_iid()))
    _submit(client, base, manager, instance(new_iid()))
    rows = client.get(f"{base}/webhooks/{hook['id']}/deliveries", headers=manager).get_json()
    assert [(r["status"], r["lastStatusCode"]) for r in rows] == [("failed", 500),
                                                                  ("failed", 302)]
    assert [r["lastError"] for r in rows] == ["HTTP 500",
                                              "HTTP 302 (redirects are not followed)"]
    assert len(receiver.requests) == 2  # nobody went to the Location


def test_deleted_webhook_is_gone_and_told_nothing(client, base, manager, receiver, new_iid):
    hook = _create(client, base, manager, receiver.url).get_json()
    assert client.get(f"{base}/webhooks/{hook['id']}", headers=manager).get_json()["url"] \
        == receiver.url
    assert client.delete(f"{base}/webhooks/{hook['id']}", headers=manager).get_json() == {
        "success": True}
    assert client.get(f"{base}/webhooks/{hook['id']}", headers=manager).status_code == 404
    assert client.get(f"{base}/webhooks", headers=manager).get_json() == []
    _submit(client, base, manager, instance(new_iid()))
    assert receiver.requests == []
    from app.models import Audit

    audits = db.session.scalars(select(Audit).where(Audit.action.like("webhook.%"))
                                .order_by(Audit.id)).all()
    assert [a.action for a in audits] == ["webhook.create", "webhook.delete"]
    assert audits[0].details["url"] == receiver.url and audits[0].actor_id is not None
    assert all(SECRET not in str(a.details) for a in audits)


def test_cli_lists_and_retries(client, base, manager, runner, new_iid):
    port = _closed_port()
    hook = _create(client, base, manager, f"http://127.0.0.1:{port}/in").get_json()
    _submit(client, base, manager, instance(new_iid()))
    listed = runner.invoke(args=["webhooks", "list"])
    assert listed.exit_code == 0 and f"http://127.0.0.1:{port}/in" in listed.output
    assert "failed=1" in listed.output
    late = Receiver(port)
    try:
        result = runner.invoke(args=["webhooks", "retry", "--failed"])
        assert result.exit_code == 0 and "sent 1 deliveries again" in result.output
        assert len(late.requests) == 1
    finally:
        late.stop()
    log = runner.invoke(args=["webhooks", "deliveries", str(hook["id"])])
    assert "succeeded\tattempts=2\tstatus=200" in log.output
    assert runner.invoke(args=["webhooks", "retry"]).exit_code != 0


def test_a_receiver_too_slow_to_answer_is_recorded_as_a_timeout(client, app, base, manager,
                                                                new_iid):
    """A category, never the exception's text: the log must not work as a port scanner."""
    import threading
    import time

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    accepted = []

    def accept_and_say_nothing():
        connection, _ = listener.accept()
        accepted.append(connection)
        time.sleep(2)

    thread = threading.Thread(target=accept_and_say_nothing, daemon=True)
    thread.start()
    app.config["WEBHOOK_TIMEOUT"] = 0.5
    try:
        port = listener.getsockname()[1]
        hook = _create(client, base, manager, f"http://127.0.0.1:{port}/in").get_json()
        _submit(client, base, manager, instance(new_iid()))
        [row] = client.get(f"{base}/webhooks/{hook['id']}/deliveries",
                           headers=manager).get_json()
        assert (row["status"], row["lastStatusCode"], row["lastError"]) == (
            "failed", None, "timeout")
    finally:
        thread.join(timeout=5)
        for connection in accepted:
            connection.close()
        listener.close()

"""Queued mode on a real Redis: deliveries are RQ jobs after the pipeline's, retried with
backoff until the receiver answers 2xx; the last failure stays in our log, not RQ's."""
from __future__ import annotations

import socket
import uuid

from rq import SimpleWorker
from sqlalchemy import select

from app import queues
from app.extensions import db
from app.models import WebhookDelivery
from app.webhooks import signing
from tests.app.webhooks.conftest import SECRET, instance


def work() -> None:
    SimpleWorker(queues.worker_queues(), connection=queues.connection()).work(burst=True)
    db.session.expire_all()


def _ingest(form, xml: bytes):
    from sync.ingest import ingest

    return ingest(project_id=form.project_id, xml=xml, attachments={}, channel="sms",
                  submitter_id=None, device_id=None)


def test_500_twice_then_200_is_retried_then_delivered(queued, client, base, manager, form,
                                                      receiver):
    receiver.codes.extend([500, 500])
    hook = client.post(f"{base}/webhooks", headers=manager,
                       json={"url": receiver.url, "secret": SECRET}).get_json()
    iid = f"uuid:{uuid.uuid4()}"
    _ingest(form, instance(iid))
    assert receiver.requests == []  # nothing before the pipeline has run
    work()
    assert len(receiver.requests) == 3
    assert [r["headers"]["X-DataShift-Attempt"] for r in receiver.requests] == ["1", "2", "3"]
    assert len({r["headers"][signing.DELIVERY_HEADER] for r in receiver.requests}) == 1
    assert all(signing.verify(SECRET, r["body"], r["headers"][signing.HEADER])
               for r in receiver.requests)
    assert receiver.requests[0]["json"]["channel"] == "sms"
    assert receiver.requests[0]["json"]["record"] is not None
    [row] = client.get(f"{base}/webhooks/{hook['id']}/deliveries", headers=manager).get_json()
    assert (row["status"], row["attempts"], row["lastStatusCode"], row["lastError"]) == (
        "succeeded", 3, 200, None)
    assert row["instanceId"] == iid


def test_the_last_failure_is_logged_and_a_manual_retry_sends_again(queued, client, base,
                                                                    manager, form, receiver):
    queued.config["WEBHOOK_RETRY_INTERVALS"] = [0]
    receiver.default = 503
    hook = client.post(f"{base}/webhooks", headers=manager,
                       json={"url": receiver.url, "secret": SECRET}).get_json()
    _ingest(form, instance(f"uuid:{uuid.uuid4()}"))
    work()
    [row] = client.get(f"{base}/webhooks/{hook['id']}/deliveries", headers=manager).get_json()
    assert (row["status"], row["attempts"], row["lastStatusCode"], row["lastError"]) == (
        "failed", 2, 503, "HTTP 503")
    assert queues.queue(queues.FRESH).failed_job_registry.count == 0

    receiver.default = 204
    url = f"{base}/webhooks/{hook['id']}/deliveries/{row['id']}/retry"
    assert client.post(url, headers=manager).get_json()["status"] == "pending"
    work()
    done = db.session.get(WebhookDelivery, row["id"])
    assert (done.status, done.attempts, done.last_status_code) == ("succeeded", 3, 204)
    assert len(receiver.requests) == 3


def test_review_events_go_through_the_queue(queued, client, base, manager, form, receiver):
    client.post(f"{base}/webhooks", headers=manager,
                json={"url": receiver.url, "secret": SECRET, "events": ["submission.reviewed"]})
    iid = f"uuid:{uuid.uuid4()}"
    _ingest(form, instance(iid))
    work()
    assert receiver.requests == []
    response = client.patch(f"{base}/submissions/{iid}", headers=manager,
                            json={"reviewState": "rejected"})
    assert response.status_code == 200 and receiver.requests == []
    work()
    assert receiver.requests[0]["json"]["reviewState"] == "rejected"


def test_a_down_redis_never_fails_a_review(app, client, base, manager, form, receiver):
    client.post(f"{base}/webhooks", headers=manager,
                json={"url": receiver.url, "secret": SECRET})
    iid = f"uuid:{uuid.uuid4()}"
    _ingest(form, instance(iid))  # inline: delivered now
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app.config["REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
    response = client.patch(f"{base}/submissions/{iid}", headers=manager,
                            json={"reviewState": "approved"})
    assert response.status_code == 200
    pending = db.session.scalar(select(WebhookDelivery).where(
        WebhookDelivery.event == "submission.reviewed"))
    assert pending.status == "pending" and pending.attempts == 0


def test_a_failure_waits_out_its_backoff_in_rqs_schedule(queued, client, base, manager, form,
                                                         receiver):
    from datetime import UTC, datetime

    queued.config["WEBHOOK_RETRY_INTERVALS"] = [600, 3600]
    receiver.default = 500
    hook = client.post(f"{base}/webhooks", headers=manager,
                       json={"url": receiver.url, "secret": SECRET}).get_json()
    _ingest(form, instance(f"uuid:{uuid.uuid4()}"))
    work()
    assert len(receiver.requests) == 1
    [row] = client.get(f"{base}/webhooks/{hook['id']}/deliveries", headers=manager).get_json()
    assert (row["status"], row["attempts"], row["lastStatusCode"]) == ("retrying", 1, 500)
    registry = queues.queue(queues.FRESH).scheduled_job_registry
    [job_id] = registry.get_job_ids()
    wait = (registry.get_scheduled_time(job_id) - datetime.now(UTC)).total_seconds()
    assert 590 < wait <= 600
    # While RQ holds a retry, a manual one is refused rather than sent twice.
    again = client.post(f"{base}/webhooks/{hook['id']}/deliveries/{row['id']}/retry",
                        headers=manager)
    assert again.status_code == 409

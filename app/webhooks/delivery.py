"""Sending one delivery: build, sign, vet the address, POST; the RQ job and its backoff.

A receiver's 2xx is success; any other status (redirects are not followed), a timeout or a
refused connection is a failure, retried by RQ with WEBHOOK_RETRY_INTERVALS between attempts.
The last failure is recorded and the job ends normally: the delivery log, not RQ's failed
registry, is where a manager sees it and asks for another try. Without Redis each delivery is
tried once, in process, right away (failures wait for a manual retry).

A delivery whose job crashes or kills its worker twice is quarantined (app/quarantine.py):
failed in the delivery log with the reason, until `flask pipeline retry-failed`, `flask
webhooks retry` or the API's retry sends it again.
"""
from __future__ import annotations

import logging
import ssl
import time
from collections.abc import Iterable
from typing import Any

import certifi
import urllib3
from redis.exceptions import RedisError
from rq import Callback, get_current_job
from sqlalchemy import select

from app import crypto, quarantine, queues
from app.config import setting
from app.extensions import db
from app.models import Webhook, WebhookDelivery
from app.models.base import utcnow
from app.models.webhooks import SETTLED, DeliveryStatus
from app.webhooks import payload, signing, ssrf

log = logging.getLogger(__name__)
USER_AGENT = "DataShift-Collect-Webhooks/1"
_MAX_RESPONSE = 64 * 1024


class DeliveryFailed(Exception):
    """This attempt failed and RQ has retries left: raised so that RQ schedules the next."""


def allowed_networks() -> tuple[ssrf.Network, ...]:
    """WEBHOOK_ALLOW_NETWORKS (parsed at start-up; a test may set it as text)."""
    return tuple(setting("WEBHOOK_ALLOW_NETWORKS") or ())


# --- handing deliveries on ---------------------------------------------------------------

def dispatch(delivery_ids: Iterable[int]) -> None:
    """Send committed deliveries: to RQ, or here and now without Redis. Never raises."""
    ids = list(delivery_ids)
    if not ids:
        return
    if queues.redis_url() is None:
        for delivery_id in ids:
            run_inline(delivery_id)
        return
    try:
        enqueue(ids)
    except RedisError as error:
        log.warning("webhook enqueue failed (%s); deliveries %s stay pending (flask webhooks "
                    "retry --pending sends them)", error.__class__.__name__, ids)


def enqueue(delivery_ids: Iterable[int]) -> None:
    """One RQ job per delivery on the pipeline's fresh queue (its workers run the scheduler
    that retries need), each with a fresh set of retries."""
    queue = queues.queue(queues.FRESH)
    retry = queues.retry(setting("WEBHOOK_RETRY_INTERVALS"))
    for delivery_id in delivery_ids:
        queue.enqueue(deliver_job, delivery_id, job_timeout=queues.WEBHOOK_TIMEOUT,
                      result_ttl=queues.RESULT_TTL, failure_ttl=queues.WEBHOOK_FAILURE_TTL,
                      retry=retry, on_failure=Callback(on_rq_failure),
                      description=f"webhook delivery {delivery_id}")


def run_inline(delivery_id: int) -> str:
    """One attempt in this process, in its own session; never raises."""
    try:
        with queues.job_context():
            return attempt(delivery_id, final=True)
    except Exception:
        log.exception("webhook delivery %s failed inline", delivery_id)
        return "error"


def deliver_job(delivery_id: int) -> str:
    """The RQ job. Raises DeliveryFailed while RQ has retries left, so that it retries."""
    job = get_current_job()
    final = job is None or not job.retries_left
    with queues.job_context():
        return quarantine.guard(quarantine.WEBHOOK, delivery_id,
                                lambda i, _resumed: attempt(i, final=final), set_aside,
                                expected=(DeliveryFailed,))


def set_aside(delivery_id: int, reason: str) -> str:
    """Quarantined: failed in the delivery log with the reason, until retried."""
    db.session.rollback()
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is not None and delivery.status not in SETTLED:
        delivery.status = DeliveryStatus.FAILED
        delivery.last_error = reason
        db.session.commit()
    return "quarantined"


def on_rq_failure(rq_job, connection, exc_type, exc_value, traceback) -> None:
    """RQ's failure callback: a delivery killed with no retry left is set aside now."""
    with queues.job_context():
        quarantine.abandoned(quarantine.WEBHOOK, rq_job, exc_type, set_aside)


def retry_quarantined(delivery_ids: list[int]) -> int:
    """`retry-failed`: quarantined deliveries are sent again with fresh retries; -> how many."""
    rows = [row for row in db.session.scalars(select(WebhookDelivery).where(
        WebhookDelivery.id.in_(delivery_ids), WebhookDelivery.status == DeliveryStatus.FAILED))
        if quarantine.is_quarantined(row.last_error)]
    for row in rows:
        row.status = DeliveryStatus.PENDING
        row.delivered_at = None
    db.session.commit()
    dispatch([row.id for row in rows])
    return len(rows)


# --- one attempt ---------------------------------------------------------------------------

def attempt(delivery_id: int, *, final: bool) -> str:
    """Try one delivery once and record the outcome; -> its status."""
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        return "missing"
    if delivery.status in SETTLED:
        return delivery.status
    webhook = db.session.get(Webhook, delivery.webhook_id)
    if webhook is None or webhook.deleted_at is not None:
        delivery.status = DeliveryStatus.CANCELLED
        delivery.last_error = "the webhook was deleted"
        db.session.commit()
        return delivery.status
    try:
        body = payload.body(delivery, webhook)
        secret = crypto.decrypt(webhook.secret)
    except (payload.Gone, crypto.DecryptionFailed) as error:
        # Nothing a retry would change: fail now, for good.
        _record(delivery, None, f"not sent: {error}", None, final=True)
        return delivery.status
    try:
        target = ssrf.check(webhook.url, allowed=allowed_networks())
    except ssrf.UrlRefused as refused:
        # The address is no longer allowed (DNS changed, or the allow-list): for good.
        _record(delivery, None, f"blocked: {refused}", None, final=True)
        return delivery.status
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        signing.HEADER: signing.signature(secret, body),
        signing.EVENT_HEADER: delivery.event,
        signing.DELIVERY_HEADER: delivery.guid,
        "X-DataShift-Attempt": str(delivery.attempts + 1),
    }
    started = time.monotonic()
    status, error = post(target, body, headers, float(setting("WEBHOOK_TIMEOUT")))
    elapsed = int((time.monotonic() - started) * 1000)
    _record(delivery, status, error, elapsed, final=final)
    if error is not None and not final:
        raise DeliveryFailed(f"webhook delivery {delivery_id}: {error}")
    return delivery.status


def post(target: ssrf.Target, body: bytes, headers: dict[str, str],
         seconds: float) -> tuple[int | None, str | None]:
    """POST to the vetted address (never following redirects); -> (status, error or None).

    The error is a category (timeout, refused, tls, HTTP <status>), never the exception's
    text: the delivery log must not tell a manager what answers on an address and port."""
    kwargs: dict[str, Any] = {}
    pool_class: Any = urllib3.HTTPConnectionPool
    if target.scheme == "https":
        pool_class = urllib3.HTTPSConnectionPool
        kwargs = {"server_hostname": target.host, "assert_hostname": target.host,
                  "cert_reqs": "CERT_REQUIRED", "ca_certs": certifi.where()}
    pool = pool_class(target.address, target.port, timeout=urllib3.Timeout(seconds, seconds),
                      retries=False, maxsize=1, **kwargs)
    try:
        response = pool.urlopen("POST", target.path, body=body,
                                headers={**headers, "Host": target.host_header},
                                redirect=False, retries=False, preload_content=False)
        try:
            response.read(_MAX_RESPONSE)
        finally:
            response.release_conn()
    except (urllib3.exceptions.HTTPError, OSError) as error:
        log.info("webhook POST to %s failed: %r", target.host, error)
        return None, error_category(error)
    finally:
        pool.close()
    status = response.status
    if 200 <= status < 300:
        return status, None
    if 300 <= status < 400:
        return status, f"HTTP {status} (redirects are not followed)"
    return status, f"HTTP {status}"


def error_category(error: BaseException) -> str:
    """timeout | tls | refused: what a receiver's owner needs, and nothing a scanner could use."""
    if isinstance(error, urllib3.exceptions.MaxRetryError) and error.reason is not None:
        error = error.reason
    if isinstance(error, urllib3.exceptions.NewConnectionError):  # a TimeoutError subclass
        return "refused"
    if isinstance(error, urllib3.exceptions.TimeoutError | TimeoutError):
        return "timeout"
    if isinstance(error, urllib3.exceptions.SSLError | ssl.SSLError):
        return "tls"
    return "refused"


def _record(delivery: WebhookDelivery, status: int | None, error: str | None,
            elapsed: int | None, *, final: bool) -> None:
    now = utcnow()
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.last_status_code = status
    delivery.last_error = error
    delivery.response_ms = elapsed
    if error is None:
        delivery.status = DeliveryStatus.SUCCEEDED
        delivery.delivered_at = now
    else:
        delivery.status = DeliveryStatus.FAILED if final else DeliveryStatus.RETRYING
    db.session.commit()

"""Webhook use cases: create (validated, URL vetted, secret encrypted), list, delete, the
delivery log and its retry action."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app import crypto, problems, quarantine
from app.extensions import db
from app.models import WEBHOOK_EVENTS, Audit, Form, Webhook, WebhookDelivery
from app.models.base import utcnow
from app.models.webhooks import DeliveryStatus
from app.queries.paging import page_of
from app.webhooks import delivery as sender
from app.webhooks import ssrf

MIN_SECRET = 16
MAX_SECRET = 500


def create(form: Form, body: dict[str, Any], actor_id: int) -> Webhook:
    url = body.get("url")
    secret = body.get("secret")
    if not isinstance(url, str) or not url.strip():
        raise problems.missing_parameter("url")
    if not isinstance(secret, str) or not secret:
        raise problems.missing_parameter("secret")
    if not MIN_SECRET <= len(secret) <= MAX_SECRET:
        raise problems.unexpected_value("secret", "[hidden]",
                                        f"must be {MIN_SECRET} to {MAX_SECRET} characters long")
    include_xml = _flag(body, "includeXml")
    if "allowPrivate" in body:
        raise problems.unexpected_value("allowPrivate", body["allowPrivate"],
                                        "webhooks reach non-public networks only where the "
                                        "server's WEBHOOK_ALLOW_NETWORKS allows them")
    events = body.get("events")
    if events is None:
        events = list(WEBHOOK_EVENTS)
    if not isinstance(events, list) or not events or not all(isinstance(e, str) for e in events):
        raise problems.unexpected_value("events", events,
                                        f"must be a non-empty list of {', '.join(WEBHOOK_EVENTS)}")
    unknown = [e for e in events if e not in WEBHOOK_EVENTS]
    if unknown:
        raise problems.unexpected_value("events", unknown[0],
                                        f"must be one of {', '.join(WEBHOOK_EVENTS)}")
    try:
        ssrf.check(url, allowed=sender.allowed_networks())
    except ssrf.UrlRefused as refused:
        raise problems.unexpected_value("url", url, str(refused)) from None
    webhook = Webhook(project_id=form.project_id, form_id=form.id, url=url.strip(),
                      secret=crypto.encrypt(secret), include_xml=include_xml,
                      events=list(dict.fromkeys(events)),
                      created_by=actor_id, created_at=utcnow())
    db.session.add(webhook)
    db.session.flush()
    _audit("webhook.create", webhook, actor_id)
    return webhook


def _audit(action: str, webhook: Webhook, actor_id: int | None) -> None:
    """Who sent a form's data where, and when (the secret never appears)."""
    db.session.add(Audit(actor_id=actor_id, action=action, project_id=webhook.project_id,
                         form_id=webhook.form_id, details={
                             "webhookId": webhook.id, "url": webhook.url,
                             "events": webhook.events, "includeXml": webhook.include_xml}))


def _flag(body: dict[str, Any], name: str) -> bool:
    value = body.get(name, False)
    if not isinstance(value, bool):
        raise problems.unexpected_value(name, value, "must be true or false")
    return value


def webhooks(form: Form) -> list[Webhook]:
    return list(db.session.scalars(select(Webhook).where(
        Webhook.form_id == form.id, Webhook.deleted_at.is_(None)).order_by(Webhook.id)))


def get(form: Form, webhook_id: int) -> Webhook:
    webhook = db.session.get(Webhook, webhook_id)
    if webhook is None or webhook.form_id != form.id or webhook.deleted_at is not None:
        raise problems.not_found()
    return webhook


def delete(webhook: Webhook, actor_id: int | None) -> None:
    """Soft delete: the delivery log stays; pending deliveries are cancelled when they run."""
    webhook.deleted_at = utcnow()
    _audit("webhook.delete", webhook, actor_id)
    db.session.flush()


def deliveries(webhook: Webhook, limit: int, offset: int,
               status: str | None = None) -> tuple[list[WebhookDelivery], int]:
    """One page of the delivery log, newest first, and the total."""
    query = select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook.id)
    if status:
        query = query.where(WebhookDelivery.status == status)
    return page_of(query, (WebhookDelivery.id.desc(),), limit, offset)


def get_delivery(webhook: Webhook, delivery_id: int) -> WebhookDelivery:
    row = db.session.get(WebhookDelivery, delivery_id)
    if row is None or row.webhook_id != webhook.id:
        raise problems.not_found()
    return row


def retry(row: WebhookDelivery) -> WebhookDelivery:
    """Send again now, with a fresh set of retries. A delivery RQ will retry anyway is 409."""
    if row.status == DeliveryStatus.RETRYING:
        raise problems.invalid_state(
            "This delivery is waiting for its next automatic retry.",
            {"status": row.status, "lastAttemptAt": row.last_attempt_at.isoformat()
             if row.last_attempt_at else None})
    quarantine.forget(quarantine.WEBHOOK, [row.id])
    row.status = DeliveryStatus.PENDING
    row.delivered_at = None
    db.session.commit()
    sender.dispatch([row.id])
    db.session.refresh(row)
    return row

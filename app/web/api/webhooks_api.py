"""Outbound webhooks of a form (ours; Central has none): create, list, read, delete, and the
delivery log with a retry action. Managers and admins only. (The SMS providers' inbound
webhooks are app/web/webhooks.py, unrelated.)"""
from __future__ import annotations

from flask import jsonify, request

from app import problems
from app.extensions import db
from app.models import Form, Submission, SubmissionDef, Webhook, WebhookDelivery
from app.models.webhooks import DELIVERY_STATES
from app.services import forms as form_service
from app.web.api.blueprint import api
from app.web.api.common import choice_arg, iso, json_body, listing, success
from app.web.auth import Principal, require_form
from app.webhooks import (
    events,  # noqa: F401  (registers the pipeline listener)
    service,
)

BASE = "/projects/<int:project_id>/forms/<xml_form_id>/webhooks"
MAX_PAGE = 1000


def _form(project_id: int, xml_form_id: str) -> tuple[Form, Principal]:
    form = form_service.get_form(project_id, xml_form_id)
    if form is None:
        raise problems.not_found()
    return form, require_form("webhook.manage", project_id, form.id)


def webhook_json(webhook: Webhook, form: Form) -> dict:
    return {"id": webhook.id, "projectId": webhook.project_id, "xmlFormId": form.xml_form_id,
            "url": webhook.url, "includeXml": webhook.include_xml, "events": webhook.events,
            "createdBy": webhook.created_by,
            "createdAt": iso(webhook.created_at)}


def delivery_json(row: WebhookDelivery, names: dict | None = None) -> dict:
    if names is None:
        names = _instance_ids([row])
    return {"id": row.id, "deliveryId": row.guid, "webhookId": row.webhook_id,
            "event": row.event, "instanceId": names.get(("d", row.submission_def_id)),
            "rootInstanceId": names.get(("s", row.submission_id)),
            "status": row.status, "attempts": row.attempts,
            "lastStatusCode": row.last_status_code, "lastError": row.last_error,
            "responseTimeMs": row.response_ms, "createdAt": iso(row.created_at),
            "lastAttemptAt": iso(row.last_attempt_at), "deliveredAt": iso(row.delivered_at)}


def _instance_ids(rows: list[WebhookDelivery]) -> dict:
    """The instanceIDs of a page's versions and submissions, in two queries."""
    def_ids = {r.submission_def_id for r in rows if r.submission_def_id is not None}
    sub_ids = {r.submission_id for r in rows if r.submission_id is not None}
    names: dict = {}
    if def_ids:
        names.update((("d", i), n) for i, n in db.session.execute(db.select(
            SubmissionDef.id, SubmissionDef.instance_id).where(SubmissionDef.id.in_(def_ids))))
    if sub_ids:
        names.update((("s", i), n) for i, n in db.session.execute(db.select(
            Submission.id, Submission.instance_id).where(Submission.id.in_(sub_ids))))
    return names


def _page() -> tuple[int, int]:
    try:
        limit = int(request.args.get("limit", 100))
        offset = int(request.args.get("offset", 0))
    except ValueError:
        raise problems.unexpected_value("limit", request.args.get("limit"),
                                        "limit and offset must be integers") from None
    if not 0 < limit <= MAX_PAGE or offset < 0:
        raise problems.unexpected_value("limit", limit,
                                        f"limit must be 1 to {MAX_PAGE}, offset at least 0")
    return limit, offset


@api.post(BASE)
def create_webhook(project_id: int, xml_form_id: str):
    form, principal = _form(project_id, xml_form_id)
    webhook = service.create(form, json_body(), principal.actor.id)
    db.session.commit()
    return jsonify(webhook_json(webhook, form))


@api.get(BASE)
def list_webhooks(project_id: int, xml_form_id: str):
    form, _ = _form(project_id, xml_form_id)
    return listing([webhook_json(w, form) for w in service.webhooks(form)])


@api.get(f"{BASE}/<int:webhook_id>")
def get_webhook(project_id: int, xml_form_id: str, webhook_id: int):
    form, _ = _form(project_id, xml_form_id)
    return jsonify(webhook_json(service.get(form, webhook_id), form))


@api.delete(f"{BASE}/<int:webhook_id>")
def delete_webhook(project_id: int, xml_form_id: str, webhook_id: int):
    form, principal = _form(project_id, xml_form_id)
    service.delete(service.get(form, webhook_id), principal.actor.id)
    db.session.commit()
    return success()


@api.get(f"{BASE}/<int:webhook_id>/deliveries")
def list_deliveries(project_id: int, xml_form_id: str, webhook_id: int):
    form, _ = _form(project_id, xml_form_id)
    webhook = service.get(form, webhook_id)
    limit, offset = _page()
    status = choice_arg("status", DELIVERY_STATES)
    rows, total = service.deliveries(webhook, limit, offset, status)
    names = _instance_ids(rows)
    return listing([delivery_json(r, names) for r in rows], total)


@api.get(f"{BASE}/<int:webhook_id>/deliveries/<int:delivery_id>")
def get_delivery(project_id: int, xml_form_id: str, webhook_id: int, delivery_id: int):
    form, _ = _form(project_id, xml_form_id)
    return jsonify(delivery_json(service.get_delivery(service.get(form, webhook_id),
                                                      delivery_id)))


@api.post(f"{BASE}/<int:webhook_id>/deliveries/<int:delivery_id>/retry")
def retry_delivery(project_id: int, xml_form_id: str, webhook_id: int, delivery_id: int):
    form, _ = _form(project_id, xml_form_id)
    row = service.get_delivery(service.get(form, webhook_id), delivery_id)
    return jsonify(delivery_json(service.retry(row)))

"""`flask webhooks ...`: list webhooks and their recent deliveries, send failed ones again."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from app import quarantine
from app.extensions import db
from app.models import Form, Webhook, WebhookDelivery
from app.models.webhooks import DeliveryStatus
from app.webhooks import delivery as sender

webhooks_cli = AppGroup("webhooks", help="Outbound webhooks and their delivery log.")


@webhooks_cli.command("list")
def list_webhooks() -> None:
    """Every live webhook: id, project, form, events, URL, and its delivery counts."""
    rows = db.session.execute(select(Webhook, Form.xml_form_id).join(
        Form, Form.id == Webhook.form_id).where(Webhook.deleted_at.is_(None))
        .order_by(Webhook.id)).all()
    if not rows:
        click.echo("no webhooks")
    for webhook, xml_form_id in rows:
        counts = dict(db.session.execute(
            select(WebhookDelivery.status, db.func.count()).where(
                WebhookDelivery.webhook_id == webhook.id).group_by(WebhookDelivery.status)).all())
        summary = ", ".join(f"{k}={v}" for k, v in sorted(counts.items())) or "no deliveries"
        click.echo(f"{webhook.id}\tproject {webhook.project_id}\t{xml_form_id}\t"
                   f"{','.join(webhook.events)}\t{webhook.url}\t{summary}")


@webhooks_cli.command("deliveries")
@click.argument("webhook_id", type=int)
@click.option("--limit", default=20, show_default=True)
def deliveries(webhook_id: int, limit: int) -> None:
    """A webhook's latest deliveries, newest first."""
    for row in db.session.scalars(select(WebhookDelivery).where(
            WebhookDelivery.webhook_id == webhook_id).order_by(WebhookDelivery.id.desc())
            .limit(limit)):
        click.echo(f"{row.id}\t{row.event}\t{row.status}\tattempts={row.attempts}\t"
                   f"status={row.last_status_code}\t{row.last_error or ''}")


@webhooks_cli.command("retry")
@click.argument("delivery_ids", type=int, nargs=-1)
@click.option("--failed", is_flag=True, help="Every delivery that failed for good.")
@click.option("--pending", is_flag=True,
              help="Every delivery never sent (e.g. Redis was down when it was made).")
def retry(delivery_ids: tuple[int, ...], failed: bool, pending: bool) -> None:
    """Send deliveries again (queued with fresh retries, or here without Redis)."""
    ids = set(delivery_ids)
    states = [s for s, chosen in ((DeliveryStatus.FAILED, failed),
                                  (DeliveryStatus.PENDING, pending)) if chosen]
    if states:
        ids |= set(db.session.scalars(select(WebhookDelivery.id).where(
            WebhookDelivery.status.in_(states))))
    if not ids:
        raise click.UsageError("name delivery ids, or --failed / --pending")
    rows = list(db.session.scalars(select(WebhookDelivery).where(
        WebhookDelivery.id.in_(ids), WebhookDelivery.status != DeliveryStatus.RETRYING)))
    quarantine.forget(quarantine.WEBHOOK, [r.id for r in rows])
    for row in rows:
        row.status = DeliveryStatus.PENDING
        row.delivered_at = None
    db.session.commit()
    sender.dispatch([r.id for r in rows])
    click.echo(f"sent {len(rows)} deliveries again")


def init_app(app: Flask) -> None:
    app.cli.add_command(webhooks_cli)

"""What creates deliveries: the pipeline's `on_processed` hook (a created or edited submission
version whose results are committed) and review-state changes (after their commit)."""
from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence

from sqlalchemy import event as sa_event
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import sql
from app.extensions import db
from app.models import Form, Submission, SubmissionDef, Webhook, WebhookDelivery
from app.models.base import utcnow
from app.models.webhooks import DeliveryStatus
from app.pipeline import hooks
from app.webhooks import delivery as sender

log = logging.getLogger(__name__)
_PENDING = "webhook_deliveries"


def _subscribed(form_id: int, event: str) -> list[Webhook]:
    found = db.session.scalars(select(Webhook).where(
        Webhook.form_id == form_id, Webhook.deleted_at.is_(None)).order_by(Webhook.id))
    return [h for h in found if event in (h.events or ())]


def on_processed(def_id: int, fresh: bool) -> None:
    """One version's pipeline results are committed (see `on_processed_batch`)."""
    on_processed_batch([(def_id, fresh)])


def on_processed_batch(items: Sequence[tuple[int, bool]]) -> None:
    """Versions' pipeline results are committed: tell their forms' webhooks, once.

    Re-processing (fresh=False) sends nothing. A webhook hears of versions that arrived after
    it was created, and of each version at most once (the dedupe key), so a pipeline retry or
    a re-run that reaches us as fresh never sends again. Without webhooks this is one query
    per batch.
    """
    def_ids = [def_id for def_id, fresh in items if fresh]
    if not def_ids:
        return
    webhooks = list(db.session.scalars(select(Webhook).where(
        Webhook.deleted_at.is_(None), Webhook.form_id.in_(
            select(SubmissionDef.form_id).where(SubmissionDef.id.in_(def_ids))))
        .order_by(Webhook.id)))
    if not webhooks:
        return
    versions = db.session.execute(select(
        SubmissionDef.id, SubmissionDef.form_id, SubmissionDef.submission_id,
        SubmissionDef.deprecated_id, SubmissionDef.created_at).where(
            SubmissionDef.id.in_(def_ids)).order_by(SubmissionDef.id)).all()
    ids = []
    for version in versions:
        event = "submission.updated" if version.deprecated_id else "submission.created"
        for webhook in webhooks:
            if (webhook.form_id != version.form_id or event not in (webhook.events or ())
                    or webhook.created_at > version.created_at):
                continue
            statement = sql.insert_or_skip(
                WebhookDelivery.__table__, ["webhook_id", "dedupe_key"]).values(
                webhook_id=webhook.id, guid=str(uuid.uuid4()), event=event,
                dedupe_key=f"{event}:{version.id}", submission_id=version.submission_id,
                submission_def_id=version.id, details={}, status=DeliveryStatus.PENDING, attempts=0,
                created_at=utcnow())
            new_id = db.session.execute(
                statement.returning(WebhookDelivery.id)).scalar_one_or_none()
            if new_id is not None:
                ids.append(new_id)
    db.session.commit()
    sender.dispatch(ids)


# The pipeline tells batch listeners of a whole drain batch at once, where it can.
if hasattr(hooks, "on_processed_batch"):
    hooks.on_processed_batch(on_processed_batch)
else:
    hooks.on_processed(on_processed)


def review_changed(form: Form, submission: Submission, previous: str | None, state: str,
                   actor_id: int | None) -> list[int]:
    """Queue `submission.reviewed` deliveries in the caller's transaction; they are sent once
    it commits (and dropped if it rolls back)."""
    targets = _subscribed(form.id, "submission.reviewed")
    if not targets:
        return []
    current = db.session.scalar(select(SubmissionDef.id).where(
        SubmissionDef.submission_id == submission.id, SubmissionDef.current.is_(True)))
    rows = [WebhookDelivery(
        webhook_id=webhook.id, guid=str(uuid.uuid4()), event="submission.reviewed",
        submission_id=submission.id, submission_def_id=current,
        details={"reviewState": state, "previousReviewState": previous, "actorId": actor_id},
        status=DeliveryStatus.PENDING, attempts=0, created_at=utcnow()) for webhook in targets]
    db.session.add_all(rows)
    db.session.flush()
    ids = [row.id for row in rows]
    db.session.info.setdefault(_PENDING, []).extend(ids)
    return ids


@sa_event.listens_for(Session, "after_commit")
def _send_after_commit(session: Session) -> None:
    ids = session.info.pop(_PENDING, None)
    if ids:
        try:
            sender.dispatch(ids)
        except Exception:
            log.exception("webhook dispatch failed for deliveries %s", ids)


@sa_event.listens_for(Session, "after_soft_rollback")
def _forget_after_rollback(session: Session, _previous_transaction) -> None:
    session.info.pop(_PENDING, None)

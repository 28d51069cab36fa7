"""What creates deliveries: the pipeline's `on_processed` hook (a created or edited submission
version whose results are committed) and review-state changes (after their commit)."""
from __future__ import annotations

import logging
import uuid

from sqlalchemy import event as sa_event
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import Form, Submission, SubmissionDef, Webhook, WebhookDelivery
from app.models.base import utcnow
from app.pipeline import hooks
from app.webhooks import delivery as sender

log = logging.getLogger(__name__)
_PENDING = "webhook_deliveries"


def _subscribed(form_id: int, event: str) -> list[Webhook]:
    hooks_ = db.session.scalars(select(Webhook).where(
        Webhook.form_id == form_id, Webhook.deleted_at.is_(None)).order_by(Webhook.id))
    return [h for h in hooks_ if event in (h.events or ())]


@hooks.on_processed
def on_processed(def_id: int, fresh: bool) -> None:
    """A version's pipeline results are committed: tell the form's webhooks, once.

    Re-processing (fresh=False) sends nothing. A webhook hears of versions that arrived after
    it was created, and of each version at most once (the dedupe key), so a pipeline retry or
    a re-run that reaches us as fresh never sends again.
    """
    if not fresh:
        return
    version = db.session.get(SubmissionDef, def_id)
    if version is None:
        return
    event = "submission.updated" if version.deprecated_id else "submission.created"
    targets = [h for h in _subscribed(version.form_id, event) if h.created_at <= version.created_at]
    if not targets:
        return
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    ids = []
    for webhook in targets:
        statement = dialect.insert(WebhookDelivery).values(
            webhook_id=webhook.id, guid=str(uuid.uuid4()), event=event,
            dedupe_key=f"{event}:{def_id}", submission_id=version.submission_id,
            submission_def_id=def_id, details={}, status="pending", attempts=0,
            created_at=utcnow(),
        ).on_conflict_do_nothing(index_elements=["webhook_id", "dedupe_key"])
        new_id = db.session.execute(statement.returning(WebhookDelivery.id)).scalar_one_or_none()
        if new_id is not None:
            ids.append(new_id)
    db.session.commit()
    sender.dispatch(ids)


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
        status="pending", attempts=0, created_at=utcnow()) for webhook in targets]
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

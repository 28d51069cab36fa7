"""Idle SMS surveys: the engine's tick reminds a person once, then expires the survey (kept,
resumable). Run every few minutes: `flask channels tick` (cron)."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm.exc import StaleDataError

from app.extensions import db
from app.messaging import contacts, store
from app.messaging.turn import Outcome, Turn, store_messages, tick
from app.models.base import utcnow
from app.rights import erasure


def tick_idle(now: datetime | None = None, idle_seconds: int = 600) -> Outcome:
    """Give the engine every SMS survey idle for `idle_seconds`: reminders are queued, expired
    ones kept as partials. Commits per conversation; send `outcome.send` afterwards."""
    now = now or utcnow()
    outcome = Outcome()
    for survey_id in store.idle(now - timedelta(seconds=idle_seconds)):
        try:
            _tick_one(survey_id, now, outcome)
            db.session.commit()
        except StaleDataError:  # the person answered meanwhile: nothing to remind
            db.session.rollback()
    if erasure.sweep(now):
        db.session.commit()
    outcome.finished += store.waiting_for_media()  # after_commit tries their download again
    return outcome


def _tick_one(survey_id: int, now: datetime, outcome: Outcome) -> None:
    row = store.by_id(survey_id)
    person = contacts.lock(row.contact_id)  # the person first, as every path locks them
    survey = store.active(row.channel_id, row.contact_id)
    if survey is None or survey.id != survey_id:
        return  # answered, finished or stopped meanwhile
    turn = Turn(row.channel_id, row.project_id, store.Place(True, False, {}, {}), person,
                survey, now, outcome=outcome)
    store_messages(turn, None, tick(turn))

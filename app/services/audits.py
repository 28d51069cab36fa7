"""The audit log as ODK Central serves it: stored entries plus the submission events we derive
from submission versions (ingest, the hot path, writes no audit rows: `submission.create` is a
submission's first version and `submission.update.version` each later one, by its submitter).

Central's `action` filter takes an action or a group (`user`, `project`, `form`,
`submission`, `nonverbose`...); `start` is inclusive, `end` exclusive.
"""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import ColumnElement, case, literal, select, union_all

from app import problems
from app.extensions import db
from app.models import Audit, Form, SubmissionDef

_SUBMISSION = ("submission.create", "submission.update", "submission.update.version",
               "submission.attachment.update", "submission.delete", "submission.restore",
               "submission.purge", "comment.create")
GROUPS: dict[str, tuple[str, ...]] = {
    "user": ("user.create", "user.update", "user.delete", "user.assignment.create",
             "user.assignment.delete", "user.session.create"),
    "field_key": ("field_key.create", "field_key.assignment.create",
                  "field_key.assignment.delete", "field_key.session.end", "field_key.delete"),
    "project": ("project.create", "project.update", "project.delete"),
    "form": ("form.create", "form.update", "form.delete", "form.restore", "form.purge",
             "form.attachment.update", "form.submission.export", "form.update.draft.set",
             "form.update.draft.delete", "form.update.draft.replace", "form.update.publish"),
    "submission": _SUBMISSION,
    "webhook": ("webhook.create", "webhook.delete"),
}
# Central's `nonverbose` leaves out the per-submission noise (and its entity actions).
VERBOSE = _SUBMISSION[:-1]
_NAMESPACE = uuid.UUID("5f0c6e8e-3c1b-4d7a-9a57-0d1c2b3a4f5e")


@dataclass(frozen=True)
class Entry:
    id: int | None
    actor_id: int | None
    action: str
    project_id: int | None
    form_id: int | None
    details: dict[str, Any]
    logged_at: datetime

    @property
    def actee_id(self) -> str | None:
        """A stable UUID for the object acted on (Central's actees): the form, else project."""
        if self.form_id is not None:
            return str(uuid.uuid5(_NAMESPACE, f"form:{self.form_id}"))
        if self.project_id is not None:
            return str(uuid.uuid5(_NAMESPACE, f"project:{self.project_id}"))
        return None


def parse_time(name: str, value: str | None) -> datetime | None:
    """Central's `start`/`end`: an ISO 8601 date or timestamp; no zone means UTC."""
    if value in (None, ""):
        return None
    text = value.strip()
    zone: timezone | None = None
    if text[-1:] in ("z", "Z"):
        zone, text = UTC, text[:-1]
    else:
        # An unescaped "+" in a query string arrives as a space.
        found = re.search(r"([+ -])(\d{2}):?(\d{2})?$", text)
        if found and (len(text) - len(found.group(0)) >= 10):
            sign = -1 if found.group(1) == "-" else 1
            zone = timezone(sign * timedelta(hours=int(found.group(2)),
                                             minutes=int(found.group(3) or 0)))
            text = text[:found.start()]
    try:
        if "T" in text or " " in text:
            moment = datetime.fromisoformat(text)
        else:
            moment = datetime.combine(date.fromisoformat(text), time())
    except ValueError:
        raise problems.unexpected_value(name, value,
                                        "must be an ISO 8601 date or timestamp") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone or UTC)
    return moment.astimezone(UTC)


def _action_condition(column: ColumnElement, action: str) -> ColumnElement[bool]:
    if action == "nonverbose":
        return column.not_in(VERBOSE)
    if action in GROUPS:
        return column.in_(GROUPS[action])
    return column == action


def entries(*, action: str | None = None, start: datetime | None = None,
            end: datetime | None = None, submission_id: int | None = None,
            limit: int | None = None, offset: int = 0) -> list[Entry]:
    """Newest first: stored audits and version-derived submission events, filtered."""
    stored = select(literal("a").label("kind"), Audit.id.label("ref"),
                    Audit.logged_at.label("at"), Audit.action.label("action"))
    derived_action = case((SubmissionDef.deprecated_id.is_(None), "submission.create"),
                          else_="submission.update.version")
    derived = select(literal("d").label("kind"), SubmissionDef.id.label("ref"),
                     SubmissionDef.created_at.label("at"), derived_action.label("action"))
    if submission_id is not None:
        stored = stored.where(Audit.submission_id == submission_id)
        derived = derived.where(SubmissionDef.submission_id == submission_id)
    rows = union_all(stored, derived).subquery()
    query = select(rows.c.kind, rows.c.ref)
    if action:
        query = query.where(_action_condition(rows.c.action, action))
    if start is not None:
        query = query.where(rows.c.at >= start)
    if end is not None:
        query = query.where(rows.c.at < end)
    query = query.order_by(rows.c.at.desc(), rows.c.kind, rows.c.ref.desc()).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    keys = db.session.execute(query).all()
    audits = {a.id: a for a in db.session.scalars(select(Audit).where(
        Audit.id.in_([r for k, r in keys if k == "a"] or [-1])))}
    defs = {d.id: d for d in db.session.execute(
        select(SubmissionDef.id, SubmissionDef.submission_id, SubmissionDef.instance_id,
               SubmissionDef.deprecated_id, SubmissionDef.submitter_id, SubmissionDef.form_id,
               SubmissionDef.created_at, Form.project_id)
        .join(Form, Form.id == SubmissionDef.form_id)
        .where(SubmissionDef.id.in_([r for k, r in keys if k == "d"] or [-1])))}
    out = []
    for kind, ref in keys:
        if kind == "a":
            a = audits[ref]
            out.append(Entry(a.id, a.actor_id, a.action, a.project_id, a.form_id,
                             a.details or {}, a.logged_at))
        else:
            d = defs[ref]
            details = {"submissionId": d.submission_id, "instanceId": d.instance_id,
                       "submissionDefId": d.id}
            action_name = "submission.create"
            if d.deprecated_id:
                action_name = "submission.update.version"
                details["deprecatedId"] = d.deprecated_id
            out.append(Entry(None, d.submitter_id, action_name, d.project_id, d.form_id,
                             details, d.created_at))
    return out

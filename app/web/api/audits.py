"""Server audit log (`GET /v1/audits`, admins) and a submission's own log, as Central serves
them: newest first; `action`, `start`, `end`, `limit`, `offset`; `X-Extended-Metadata: true`
adds the actor and the actee."""
from __future__ import annotations

from typing import Any

from flask import jsonify, request

from app import problems
from app.extensions import db
from app.models import Actor, Form, Project
from app.services import audits as service
from app.services import forms as form_service
from app.services import submissions as submission_service
from app.web.api.blueprint import api
from app.web.api.common import extended, iso
from app.web.api.serializers import actor_json, project_json
from app.web.auth import current_principal, require_form


def entry_json(entry: service.Entry, extend: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"id": entry.id, "actorId": entry.actor_id, "action": entry.action,
                           "acteeId": entry.actee_id, "details": entry.details,
                           "notes": None, "loggedAt": iso(entry.logged_at)}
    if extend:
        actor = db.session.get(Actor, entry.actor_id) if entry.actor_id is not None else None
        out["actor"] = actor_json(actor) if actor is not None else None
        out["actee"] = _actee(entry)
    return out


def _actee(entry: service.Entry) -> dict[str, Any] | None:
    if entry.form_id is not None:
        form = db.session.get(Form, entry.form_id)
        if form is not None:
            version = form.current_version
            return {"projectId": form.project_id, "xmlFormId": form.xml_form_id,
                    "name": version.name if version is not None else None,
                    "acteeId": entry.actee_id,
                    "createdAt": iso(form.created_at), "deletedAt": iso(form.deleted_at)}
    if entry.project_id is not None:
        project = db.session.get(Project, entry.project_id)
        if project is not None:
            return {**project_json(project), "acteeId": entry.actee_id}
    return None


def _paging() -> tuple[int | None, int]:
    values = []
    for name in ("limit", "offset"):
        raw = request.args.get(name)
        if raw in (None, ""):
            values.append(None)
            continue
        try:
            number = int(raw)
        except ValueError:
            raise problems.unexpected_value(name, raw, "must be a whole number") from None
        if number < 0:
            raise problems.unexpected_value(name, raw, "must not be negative")
        values.append(number)
    return values[0], values[1] or 0


@api.get("/audits")
def list_audits():
    principal = current_principal()
    assert principal is not None
    if not principal.is_admin:
        raise problems.insufficient_rights()
    limit, offset = _paging()
    rows = service.entries(
        action=request.args.get("action") or None,
        start=service.parse_time("start", request.args.get("start")),
        end=service.parse_time("end", request.args.get("end")), limit=limit, offset=offset)
    extend = extended()
    return jsonify([entry_json(e, extend) for e in rows])


@api.get("/projects/<int:project_id>/forms/<xml_form_id>/submissions/<instance_id>/audits")
def submission_audits(project_id: int, xml_form_id: str, instance_id: str):
    form = form_service.get_form(project_id, xml_form_id)
    if form is None:
        raise problems.not_found()
    require_form("submission.read", project_id, form.id)
    submission = submission_service.get_submission(form, instance_id)
    if submission is None:
        raise problems.not_found()
    limit, offset = _paging()
    rows = service.entries(submission_id=submission.id, limit=limit, offset=offset)
    extend = extended()
    return jsonify([entry_json(e, extend) for e in rows])

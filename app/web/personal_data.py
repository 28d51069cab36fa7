"""Who reads personal answers in clear, per request: the caller asks (`personalData=clear`, or
its older name `phoneNumbers=clear`), holds `submission.read_personal` on the form (project
managers and site admins, as Central lets only them manage a project's data), and the read is
audited. Everyone else, and every request that does not ask, gets the keyed hash."""
from __future__ import annotations

from flask import request

from app.extensions import db
from app.models import Audit, Form
from app.web.auth import require_form

READ_PERSONAL = "submission.read_personal"
PARAMETERS = ("personalData", "phoneNumbers")


def asks_for_clear() -> bool:
    return any((request.values.get(name) or "").strip().lower() == "clear"
               for name in PARAMETERS)


def policy(form: Form, action: str) -> str:
    """"hashed", or "clear" when asked for by a caller allowed to (403 otherwise); a clear
    read is audited as `action` at once, before any byte is sent."""
    if not asks_for_clear():
        return "hashed"
    principal = require_form(READ_PERSONAL, form.project_id, form.id)
    db.session.add(Audit(actor_id=principal.actor.id, action=action,
                         project_id=form.project_id, form_id=form.id,
                         details={"path": request.path, "query": request.query_string.decode()}))
    db.session.commit()
    return "clear"

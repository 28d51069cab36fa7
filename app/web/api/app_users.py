"""App users (Collect devices) and form assignments, in ODK Central's REST dialect."""
from __future__ import annotations

from flask import current_app, jsonify

from app import problems
from app.extensions import db
from app.models import AppUser
from app.services import app_users as service
from app.web.access import form_for, project_or_404, project_row_or_404
from app.web.api.blueprint import api
from app.web.api.common import json_body, listing, success
from app.web.api.forms import FORM
from app.web.api.serializers import actor_json, app_user_json
from app.web.auth import current_principal

APP_USERS = "/projects/<int:project_id>/app-users"


@api.get(APP_USERS)
def list_app_users(project_id: int):
    project_or_404(project_id, "field_key.list")
    # Tokens are stored hashed: shown once, in the create response, never in the list.
    return listing([app_user_json(a) for a in service.list_app_users(project_id)])


@api.post(APP_USERS)
def create_app_user(project_id: int):
    project = project_or_404(project_id, "field_key.create")
    name = str(json_body("displayName")["displayName"]).strip()
    if not name:
        raise problems.missing_parameter("displayName")
    app_user, token = service.create_app_user(project_id, name, current_principal().actor.id)
    db.session.commit()
    body = app_user_json(app_user, token)
    public_url = current_app.config["PUBLIC_URL"]
    body["collectUrl"] = service.collect_url(public_url, token, project_id)
    body["qr"] = {"payload": service.qr_payload(public_url, token, project)}
    return jsonify(body)


@api.delete(f"{APP_USERS}/<int:actor_id>")
def revoke_app_user(project_id: int, actor_id: int):
    service.revoke(project_row_or_404(project_id, "field_key.delete", service.get_app_user,
                                      actor_id))
    db.session.commit()
    return success()


@api.get(f"{APP_USERS}/<int:actor_id>/qr")
def app_user_qr(project_id: int, actor_id: int):
    """Only the token's hash is kept, so the QR code can be built only at creation time."""
    project_row_or_404(project_id, "field_key.list", service.get_app_user, actor_id)
    raise problems.invalid_state(
        "The app user's token is stored hashed and was shown once, with its QR code, when "
        "the app user was created. Revoke it and create a new app user for a new code.",
        {"actorId": actor_id})


def _assignment_rows(rows: list[tuple[int, str]], with_form: bool) -> list[dict]:
    return [{"actorId": actor_id, "roleId": service.APP_USER_ROLE_ID,
             **({"xmlFormId": xml_form_id} if with_form else {})}
            for actor_id, xml_form_id in rows]


@api.get(f"{FORM}/assignments")
def list_form_assignments(project_id: int, xml_form_id: str):
    form = form_for(project_id, xml_form_id, "field_key.list")
    return listing(_assignment_rows(service.form_assignments(project_id, form.id), False))


@api.get(f"{FORM}/assignments/<role>")
def list_form_assignees(project_id: int, xml_form_id: str, role: str):
    form = form_for(project_id, xml_form_id, "field_key.list")
    service.role_name(role)
    actors = [db.session.get(AppUser, actor_id).actor
              for actor_id, _ in service.form_assignments(project_id, form.id)]
    return listing([actor_json(a) for a in actors])


@api.post(f"{FORM}/assignments/<role>/<int:actor_id>")
def assign_form(project_id: int, xml_form_id: str, role: str, actor_id: int):
    form = form_for(project_id, xml_form_id, "assignment.create")
    service.assign_form(form, actor_id, role)
    db.session.commit()
    return success()


@api.delete(f"{FORM}/assignments/<role>/<int:actor_id>")
def unassign_form(project_id: int, xml_form_id: str, role: str, actor_id: int):
    form = form_for(project_id, xml_form_id, "assignment.delete")
    service.unassign_form(form, actor_id, role)
    db.session.commit()
    return success()


@api.get("/projects/<int:project_id>/assignments/forms")
def list_project_form_assignments(project_id: int):
    project_or_404(project_id, "field_key.list")
    return listing(_assignment_rows(service.form_assignments(project_id), True))


@api.get("/projects/<int:project_id>/assignments/forms/<role>")
def list_project_form_assignments_by_role(project_id: int, role: str):
    project_or_404(project_id, "field_key.list")
    service.role_name(role)
    return listing(_assignment_rows(service.form_assignments(project_id), True))

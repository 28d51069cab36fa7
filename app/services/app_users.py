"""App users (Collect devices): project-bound tokens, revocation, form assignments, QR codes."""
from __future__ import annotations

import base64
import json
import secrets
import zlib

from sqlalchemy import select

from app import problems
from app.extensions import db
from app.models import Actor, AppUser, Form, FormAssignment, Project
from app.services import credentials

# Central's role ids and system names for form assignments (only app users are assignable).
ASSIGNABLE_ROLES = {"app-user": "app-user", "2": "app-user"}
APP_USER_ROLE_ID = 2


def create_app_user(project_id: int, display_name: str,
                    created_by: int | None) -> tuple[AppUser, str]:
    """A new app user and its token; only the token's hash is stored, so return it now."""
    actor = credentials.new_actor("field_key", display_name)
    token = secrets.token_urlsafe(48)
    return credentials.issue(AppUser, actor, project_id, created_by, token), token


def list_app_users(project_id: int) -> list[AppUser]:
    """Live app users of a project, oldest first (revoked ones are gone, as in Central)."""
    return list(db.session.scalars(
        select(AppUser).join(Actor, Actor.id == AppUser.actor_id)
        .where(AppUser.project_id == project_id, AppUser.revoked_at.is_(None),
               Actor.deleted_at.is_(None)).order_by(AppUser.actor_id)))


def get_app_user(project_id: int, actor_id: int) -> AppUser:
    """A live app user of this project, else 404 (never another project's)."""
    return credentials.live(AppUser, project_id, actor_id)


def revoke(app_user: AppUser) -> None:
    """The token stops working at once (app.services.credentials); its forms are unassigned."""
    db.session.execute(FormAssignment.__table__.delete().where(
        FormAssignment.actor_id == app_user.actor_id))
    credentials.revoke(app_user)


def role_name(role: str) -> str:
    if role not in ASSIGNABLE_ROLES:
        raise problems.not_found()
    return ASSIGNABLE_ROLES[role]


def assign_form(form: Form, actor_id: int, role: str) -> FormAssignment:
    """Let an app user of the form's project see and fill the form; idempotent."""
    get_app_user(form.project_id, actor_id)
    name = role_name(role)
    existing = db.session.scalar(select(FormAssignment).where(
        FormAssignment.form_id == form.id, FormAssignment.actor_id == actor_id,
        FormAssignment.role == name))
    if existing is not None:
        return existing
    row = FormAssignment(form_id=form.id, actor_id=actor_id, role=name)
    db.session.add(row)
    db.session.flush()
    return row


def unassign_form(form: Form, actor_id: int, role: str) -> None:
    row = db.session.scalar(select(FormAssignment).where(
        FormAssignment.form_id == form.id, FormAssignment.actor_id == actor_id,
        FormAssignment.role == role_name(role)))
    if row is None:
        raise problems.not_found()
    db.session.delete(row)
    db.session.flush()


def form_assignments(project_id: int, form_id: int | None = None) -> list[tuple[int, str]]:
    """(actorId, xmlFormId) of every app-user assignment in a project (or one form)."""
    query = (select(FormAssignment.actor_id, Form.xml_form_id)
             .join(Form, Form.id == FormAssignment.form_id)
             .where(Form.project_id == project_id, Form.deleted_at.is_(None))
             .order_by(Form.xml_form_id, FormAssignment.actor_id))
    if form_id is not None:
        query = query.where(Form.id == form_id)
    return list(db.session.execute(query))


def collect_url(public_url: str, token: str, project_id: int) -> str:
    """The server URL ODK Collect is configured with: the token rides in the path."""
    return f"{public_url.rstrip('/')}/v1/key/{token}/projects/{project_id}"


def qr_payload(public_url: str, token: str, project: Project) -> str:
    """ODK Collect's settings QR code content: base64 of zlib-deflated settings JSON."""
    settings = {
        "general": {"server_url": collect_url(public_url, token, project.id),
                    "form_update_mode": "match_exactly", "autosend": "wifi_and_cellular"},
        "project": {"name": project.name},
        "admin": {},
    }
    raw = json.dumps(settings, separators=(",", ":")).encode()
    return base64.b64encode(zlib.compress(raw)).decode("ascii")

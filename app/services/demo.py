"""`flask demo`: a demo admin, project, the four demo forms and an app user; idempotent."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from app.extensions import db
from app.models import AppUser, FormAssignment, Project
from app.services import accounts, app_users, projects
from app.services import forms as form_service
from forms.xlsform import compile_upload

DEMO_FORMS = Path(__file__).resolve().parent.parent / "demo_forms"
ADMIN_EMAIL = "admin@example.org"
PROJECT_NAME = "Demo CSO"
APP_USER_NAME = "Demo phone"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class DemoInfo:
    """What the demo prints: how to log in and how to point ODK Collect at the server."""

    email: str
    password: str | None
    project_id: int
    forms: tuple[str, ...]
    collect_url: str | None
    collect_qr: str | None = None  # ODK Collect's settings QR payload for the demo app user


def _secret_file(instance_dir: Path, name: str, make: bool) -> str | None:
    """A demo secret kept under instance/ so a re-run prints the same one."""
    path = instance_dir / name
    if path.exists():
        return path.read_text().strip()
    if not make:
        return None
    instance_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(12) if name.endswith("password") else secrets.token_urlsafe(48)
    path.write_text(value)
    path.chmod(0o600)
    return value


def _admin(instance_dir: Path) -> str | None:
    user = accounts.find_user(ADMIN_EMAIL)
    if user is not None:
        return _secret_file(instance_dir, "demo_admin_password", make=False)
    password = _secret_file(instance_dir, "demo_admin_password", make=True)
    accounts.create_user(ADMIN_EMAIL, password, admin=True, display_name="Demo admin")
    return password


def _project() -> Project:
    project = db.session.scalar(select(Project).where(
        Project.name == PROJECT_NAME, Project.deleted_at.is_(None)).order_by(Project.id))
    return project or projects.create_project(PROJECT_NAME, "Demo data: four example forms.")


def _forms(project_id: int) -> list:
    published = []
    for path in sorted(DEMO_FORMS.glob("*.xlsx")):
        form = form_service.get_form(project_id, path.stem)
        if form is None:
            compiled = compile_upload(path.read_bytes(), XLSX, path.name, validate=False,
                                      ignore_warnings=True)
            form = form_service.create_form(project_id, compiled, None, publish=True)
        published.append(form)
    return published


def _app_user(project_id: int, forms: list, instance_dir: Path) -> str:
    """The demo app user's token: kept under instance/ (tokens are stored hashed)."""
    token = _secret_file(instance_dir, "demo_app_user_token", make=True)
    app_user = db.session.scalar(select(AppUser).where(
        AppUser.token_hash == accounts.hash_token(token), AppUser.revoked_at.is_(None)))
    if app_user is None:
        app_user, _ = app_users.create_app_user(project_id, APP_USER_NAME, None)
        app_user.token_hash = accounts.hash_token(token)
    assigned = set(db.session.scalars(select(FormAssignment.form_id).where(
        FormAssignment.actor_id == app_user.actor_id)))
    for form in forms:
        if form.id not in assigned:
            app_users.assign_form(form, app_user.actor_id, "app-user")
    return token


def run_demo(instance_dir: Path, public_url: str) -> DemoInfo:
    """Create whatever of the demo is missing; running it again changes nothing."""
    password = _admin(instance_dir)
    project = _project()
    db.session.flush()
    forms = _forms(project.id)
    token = _app_user(project.id, forms, instance_dir)
    db.session.commit()
    return DemoInfo(email=ADMIN_EMAIL, password=password, project_id=project.id,
                    forms=tuple(f.xml_form_id for f in forms),
                    collect_url=app_users.collect_url(public_url, token, project.id),
                    collect_qr=app_users.qr_payload(public_url, token, project))

"""A project's team (managers and admins): who holds which role, give a role to a web user
by email, take a role away. The API's POST/DELETE /v1/projects/{pid}/assignments/{role}/{actorId}
through the same service, audited alike."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.models import PROJECT_ROLES, Actor, User
from app.services import accounts
from app.services import projects as project_service
from app.web.access import project_or_404
from app.web.ui.blueprint import ui
from app.web.ui.nav import project_tab

BASE = "/projects/<int:project_id>/team"
project_tab("team", lambda: _("Team"), "ui.team", verb="project.update", order=60)


@ui.get(BASE)
def team(project_id: int):
    project = project_or_404(project_id, "project.update")
    rows = project_service.assignments(project_id)
    ids = [r.actor_id for r in rows]
    actors = {a.id: a for a in db.session.scalars(select(Actor).where(
        Actor.id.in_(ids or [-1])))}
    emails = dict(db.session.execute(select(User.actor_id, User.email).where(
        User.actor_id.in_(ids or [-1]))).all())
    return render_template("ui/team.html", project=project, rows=rows, actors=actors,
                           emails=emails, role_names=PROJECT_ROLES,
                           me=g.principal.actor.id)


@ui.post(BASE)
def give_role(project_id: int):
    project_or_404(project_id, "project.update")
    email = request.form.get("email", "").strip()
    role = request.form.get("role", "")
    user = accounts.find_user(email) if email else None
    if user is None:
        flash(_("No web user has that email. An administrator creates web users."), "error")
    elif role not in PROJECT_ROLES:
        flash(_("Pick a role."), "error")
    else:
        project_service.assign_role(project_id, user.actor_id, role, g.principal.actor.id)
        db.session.commit()
        flash(_("%(email)s has the role now.", email=user.email), "ok")
    return redirect(url_for("ui.team", project_id=project_id))


@ui.post(f"{BASE}/<int:actor_id>/<role>/remove")
def remove_role(project_id: int, actor_id: int, role: str):
    project_or_404(project_id, "project.update")
    if project_service.remove_role(project_id, actor_id, role, g.principal.actor.id):
        db.session.commit()
        flash(_("Role taken away."), "ok")
    else:
        flash(_("That role was not held."), "error")
    return redirect(url_for("ui.team", project_id=project_id))

"""Administration (site admins): web users and their project roles, the audit log, and the
pipeline's health with a retry for failed submissions."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.extensions import db
from app.models import PROJECT_ROLES, Actor, Project
from app.pipeline import retry
from app.pipeline.status import pipeline_status
from app.queries import pipeline_health
from app.services import accounts, audits
from app.services import projects as project_service
from app.web.auth import require
from app.web.ui.blueprint import ui
from app.web.ui.paging import offset_arg

PAGE = 50


@ui.get("/admin/users")
def admin_users():
    require("user.list")
    users = accounts.list_users()
    projects = list(db.session.scalars(db.select(Project).where(
        Project.deleted_at.is_(None)).order_by(Project.name)))
    return render_template("ui/admin_users.html", users=users, projects=projects,
                           names={p.id: p.name for p in projects}, role_names=PROJECT_ROLES,
                           roles=project_service.roles_of([u.actor_id for u in users]))


@ui.post("/admin/users")
def admin_create_user():
    require("user.create")
    email = request.form.get("email", "").strip()
    password = request.form.get("password", "")
    if not email or accounts.find_user(email):
        flash(_("A user with that email exists already.") if email
              else _("Enter an email."), "error")
        return redirect(url_for("ui.admin_users"))
    try:
        accounts.create_user(email, password or None,
                             admin=request.form.get("admin") == "1",
                             display_name=request.form.get("name", "").strip() or None)
    except ValueError:
        flash(_("The password must be at least %(n)s characters.",
                n=accounts.MIN_PASSWORD_LENGTH), "error")
        return redirect(url_for("ui.admin_users"))
    db.session.commit()
    flash(_("%(email)s can now sign in.", email=email), "ok")
    return redirect(url_for("ui.admin_users"))


@ui.post("/admin/users/<int:actor_id>/roles")
def admin_roles(actor_id: int):
    require("user.create")
    project_id = int(request.form.get("project", "0") or 0)
    role = request.form.get("role", "")
    require("project.update", project_id)
    if project_service.get_project(project_id) is None or role not in PROJECT_ROLES:
        flash(_("Pick a project and a role."), "error")
        return redirect(url_for("ui.admin_users"))
    if request.form.get("remove") == "1":
        project_service.remove_role(project_id, actor_id, role, g.principal.actor.id)
    else:
        project_service.assign_role(project_id, actor_id, role, g.principal.actor.id)
    db.session.commit()
    flash(_("Roles saved."), "ok")
    return redirect(url_for("ui.admin_users") + f"#user-{actor_id}")


@ui.get("/admin/audits")
def admin_audits():
    require("user.list")
    offset = offset_arg()
    action = request.args.get("action") or None
    entries = audits.entries(action=action, limit=PAGE + 1, offset=offset)
    more = len(entries) > PAGE
    entries = entries[:PAGE]
    actors = {a.id: a.display_name for a in db.session.scalars(db.select(Actor).where(
        Actor.id.in_({e.actor_id for e in entries if e.actor_id} or {-1})))}
    return render_template("ui/admin_audits.html", entries=entries, actors=actors,
                           offset=offset, more=more, page=PAGE, action=action,
                           groups=("user", "project", "form", "submission", "nonverbose"))


@ui.get("/admin/pipeline")
def admin_pipeline():
    require("pipeline.admin")
    failed = retry.failed_jobs()
    named = pipeline_health.by_def([f["submissionDefId"] for f in failed
                                    if f.get("submissionDefId")])
    return render_template("ui/admin_pipeline.html", status=pipeline_status(),
                           failed=failed, named=named, counts=pipeline_health.counts(),
                           rows=pipeline_health.waiting())


@ui.post("/admin/pipeline/retry")
def admin_pipeline_retry():
    require("pipeline.admin")
    count = retry.retry_failed()
    flash(_("%(n)s failed jobs sent round again.", n=count), "ok")
    return redirect(url_for("ui.admin_pipeline"))

"""Projects and role assignments."""
from __future__ import annotations

from flask import jsonify
from sqlalchemy import select

from app import problems
from app.extensions import db
from app.models import PROJECT_ROLES, Actor, Project, User
from app.services import projects as project_service
from app.web.access import project_or_404
from app.web.api.blueprint import api
from app.web.api.common import extended, iso, json_body, listing, success
from app.web.api.serializers import actor_json, project_json
from app.web.auth import current_principal, require


def _with_counts(project: Project, summary: dict | None = None) -> dict:
    summary = summary or project_service.summaries([project.id])[project.id]
    return {**project_json(project), "forms": summary["forms"],
            "appUsers": summary["appUsers"], "lastSubmission": iso(summary["lastSubmission"])}


@api.get("/projects")
def list_projects():
    principal = current_principal()
    rows = project_service.visible_projects(principal)
    if not extended():
        return listing([project_json(p) for p in rows])
    summaries = project_service.summaries([p.id for p in rows])
    return listing([_with_counts(p, summaries[p.id]) for p in rows])


@api.post("/projects")
def create_project():
    require("project.create")
    body = json_body("name")
    project = project_service.create_project(str(body["name"]), body.get("description"))
    db.session.commit()
    return jsonify(project_json(project))


@api.get("/projects/<int:project_id>")
def get_project(project_id: int):
    project = project_or_404(project_id)
    return jsonify(_with_counts(project) if extended() else project_json(project))


@api.patch("/projects/<int:project_id>")
def update_project(project_id: int):
    project = project_or_404(project_id, "project.update")
    body = json_body()
    if "settings" in body:
        project_service.update_settings(project, body["settings"], current_principal().actor.id)
    project_service.update_project(project, name=body.get("name"),
                                   description=body.get("description"),
                                   archived=body.get("archived"))
    db.session.commit()
    return jsonify(project_json(project))


@api.post("/projects/<int:project_id>/assignments/<role>/<int:actor_id>")
def assign(project_id: int, role: str, actor_id: int):
    project_or_404(project_id, "project.update")
    user = db.session.get(User, actor_id)
    if user is None or user.actor.deleted_at is not None:
        raise problems.not_found()  # roles are for web users; app users get form assignments
    try:
        project_service.assign_role(project_id, actor_id, role, current_principal().actor.id)
    except ValueError as error:
        raise problems.unexpected_value("role", role, str(error)) from None
    db.session.commit()
    return success()


@api.delete("/projects/<int:project_id>/assignments/<role>/<int:actor_id>")
def unassign(project_id: int, role: str, actor_id: int):
    """Take a web user's role on the project away (Central's DELETE; 404 if not held)."""
    project_or_404(project_id, "project.update")
    if role not in PROJECT_ROLES:
        raise problems.unexpected_value("role", role,
                                        f"expected one of {', '.join(PROJECT_ROLES)}")
    if not project_service.remove_role(project_id, actor_id, role, current_principal().actor.id):
        raise problems.not_found()
    db.session.commit()
    return success()


@api.get("/projects/<int:project_id>/assignments")
def list_assignments(project_id: int):
    """Who holds which role on the project (Central's shape; `X-Extended-Metadata` gives the
    actor instead of its id). Managers and admins."""
    project_or_404(project_id, "project.update")
    rows = project_service.assignments(project_id)
    if not extended():
        return listing([{"actorId": r.actor_id, "roleId": r.role} for r in rows])
    actors = {a.id: a for a in db.session.scalars(select(Actor).where(
        Actor.id.in_([r.actor_id for r in rows] or [-1])))}
    return listing([{"actor": actor_json(actors[r.actor_id]), "roleId": r.role} for r in rows])

"""Model → JSON in Central's field names; null fields stay present (pyodk's models need them)."""
from __future__ import annotations

from typing import Any

from app.models import Actor, AppUser, Project, User
from app.web.api.common import iso


def actor_json(actor: Actor) -> dict[str, Any]:
    return {"id": actor.id, "type": actor.type, "displayName": actor.display_name,
            "createdAt": iso(actor.created_at), "updatedAt": iso(actor.updated_at),
            "deletedAt": iso(actor.deleted_at)}


def user_json(user: User) -> dict[str, Any]:
    return {**actor_json(user.actor), "email": user.email}


def app_user_json(app_user: AppUser, token: str | None = None) -> dict[str, Any]:
    return {**actor_json(app_user.actor), "projectId": app_user.project_id,
            "token": token, "createdBy": app_user.created_by,
            "revokedAt": iso(app_user.revoked_at)}


def project_json(project: Project) -> dict[str, Any]:
    return {"id": project.id, "name": project.name, "description": project.description,
            "keyId": None, "archived": project.archived, "createdAt": iso(project.created_at),
            "updatedAt": iso(project.updated_at), "deletedAt": iso(project.deleted_at),
            "settings": {"allowPhoneNumbers": bool((project.settings or {})
                                                   .get("allowPhoneNumbers"))}}

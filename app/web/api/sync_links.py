"""Sync links (central side): `POST|GET /v1/projects/{pid}/sync-links`, `DELETE .../{id}`."""
from __future__ import annotations

from flask import jsonify

from app import problems
from app.config import setting
from app.extensions import db
from app.models import SyncLink
from app.services import sync_links as service
from app.web.access import project_or_404, project_row_or_404
from app.web.api.blueprint import api
from app.web.api.common import iso, json_body, listing, success
from app.web.auth import current_principal

SYNC_LINKS = "/projects/<int:project_id>/sync-links"


def link_json(link: SyncLink, token: str | None = None) -> dict:
    body = {"id": link.actor_id, "displayName": link.actor.display_name,
            "projectId": link.project_id, "createdBy": link.created_by,
            "createdAt": iso(link.created_at), "lastContactAt": iso(link.last_contact_at),
            "received": link.received, "cursor": link.cursor,
            "url": service.link_url(setting("PUBLIC_URL"), link.project_id)}
    if token is not None:
        body["token"] = token
    return body


@api.post(SYNC_LINKS)
def create_sync_link(project_id: int):
    project_or_404(project_id, "sync_link.manage")
    name = str(json_body("displayName")["displayName"]).strip()
    if not name:
        raise problems.missing_parameter("displayName")
    if len(name) > 255:
        raise problems.unexpected_value("displayName", name[:40] + "...",
                                        "is longer than 255 characters")
    link, token = service.create_link(project_id, name, current_principal().actor.id)
    db.session.commit()
    # The token is stored hashed: this response is the only time it is shown.
    return jsonify(link_json(link, token)), 201


@api.get(SYNC_LINKS)
def list_sync_links(project_id: int):
    project_or_404(project_id, "sync_link.manage")
    return listing([link_json(link) for link in service.list_links(project_id)])


@api.delete(f"{SYNC_LINKS}/<int:link_id>")
def revoke_sync_link(project_id: int, link_id: int):
    service.revoke(project_row_or_404(project_id, "sync_link.manage", service.get_link, link_id))
    db.session.commit()
    return success()

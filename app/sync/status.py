"""What `flask sync status` (and a status page) shows for each paired central server."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.models import SyncPeer
from app.models.base import utcnow
from sync import outgoing


def _iso(value) -> str | None:
    return outgoing.utc_iso(value) if value is not None else None


def peer_status(peer: SyncPeer) -> dict[str, Any]:
    versions, size = outgoing.waiting_totals(peer)
    return {"id": peer.id, "displayName": peer.display_name, "url": peer.url,
            "remoteProjectId": peer.remote_project_id, "projectId": peer.project_id,
            "dialect": peer.dialect, "lastContactAt": _iso(peer.last_contact_at),
            "lastSuccessAt": _iso(peer.last_success_at), "waitingSubmissions": versions,
            "waitingBytes": size, "conflicts": outgoing.open_conflicts(peer),
            "lastError": peer.last_error, "checkpoint": peer.cursor,
            "running": peer.lock_expires_at is not None and peer.lock_expires_at > utcnow()}


def peer_statuses() -> list[dict[str, Any]]:
    return [peer_status(p) for p in db.session.scalars(select(SyncPeer).order_by(SyncPeer.id))]

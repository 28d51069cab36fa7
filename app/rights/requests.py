"""The erasure requests a project's managers see: when, by which channel, what became of them
and how much was erased (never whose)."""
from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.models import ErasureRequest


def listing(project_id: int, *, status: str | None, limit: int,
            offset: int) -> tuple[list[ErasureRequest], int]:
    """A page of the project's requests, newest first, and how many there are."""
    query = select(ErasureRequest).where(ErasureRequest.project_id == project_id)
    if status:
        query = query.where(ErasureRequest.status == status)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.scalars(query.order_by(ErasureRequest.requested_at.desc(),
                                             ErasureRequest.id.desc()).limit(limit).offset(offset))
    return list(rows), total or 0

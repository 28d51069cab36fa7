"""The erasure requests a project's managers see: when, by which channel, what became of them
and how much was erased (never whose)."""
from __future__ import annotations

from sqlalchemy import select

from app.models import ErasureRequest
from app.queries.paging import page_of


def listing(project_id: int, *, status: str | None, limit: int,
            offset: int) -> tuple[list[ErasureRequest], int]:
    """A page of the project's requests, newest first, and how many there are."""
    query = select(ErasureRequest).where(ErasureRequest.project_id == project_id)
    if status:
        query = query.where(ErasureRequest.status == status)
    return page_of(query, (ErasureRequest.requested_at.desc(), ErasureRequest.id.desc()),
                   limit, offset)

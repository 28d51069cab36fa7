"""Citizens' erasure requests (DELETE by text or USSD), for the project's managers."""
from __future__ import annotations

from typing import Any

from app.models import ERASURE_STATES, ErasureRequest
from app.rights import requests
from app.web.access import project_or_404
from app.web.api.blueprint import api
from app.web.api.common import choice_arg, iso, listing, page


def erasure_request_json(row: ErasureRequest) -> dict[str, Any]:
    """No personal data: the counts say what was erased, never whose."""
    return {"id": row.id, "channelId": row.channel_id, "via": row.via, "status": row.status,
            "requestedAt": iso(row.requested_at), "decidedAt": iso(row.decided_at),
            "submissions": row.submissions, "conversations": row.conversations,
            "messages": row.messages}


@api.get("/projects/<int:project_id>/erasure-requests")
def list_erasure_requests(project_id: int):
    project_or_404(project_id, "message.read")
    status = choice_arg("status", ERASURE_STATES)
    limit, offset = page()
    rows, total = requests.listing(project_id, status=status, limit=limit, offset=offset)
    return listing([erasure_request_json(r) for r in rows], total)

"""Field-office sync, our additions to the Central dialect (the field office's link only):

- `GET  /v1/projects/{pid}/sync` — who the link is, the limits to respect, this side's
  checkpoint. A real ODK Central answers 404: the client then falls back to plain OpenRosa.
- `GET  /v1/projects/{pid}/sync/uploads/{sha256}?size=N` — how much of a file is here.
- `PUT  /v1/projects/{pid}/sync/uploads/{sha256}` with `Content-Range: bytes a-b/N` — one
  chunk; 409 (with `received`) when it does not start where the staged bytes end.
- `POST /v1/projects/{pid}/sync/batches` — submission versions, review states, comments
  (JSON, `Content-Encoding: gzip` welcome); answers per item (sync/receive.py).

And for managers on either side: `GET .../sync-conflicts`, `GET .../sync-conflicts/{id}`,
`POST .../sync-conflicts/{id}/resolve` with `{"keep": "central"|"field"|"both"}`.
"""
from __future__ import annotations

import gzip
import json
import re
import zlib
from collections.abc import Iterator

from flask import g, jsonify, request
from sqlalchemy import select
from werkzeug.exceptions import ClientDisconnected

from app import problems
from app.config import setting
from app.extensions import db
from app.models import Blob, Form, SubmissionDef, SyncConflict, SyncLink
from app.problems import Problem
from app.services import submissions as submission_service
from app.web.access import project_or_404
from app.web.api.blueprint import api
from app.web.api.common import iso, json_body, listing, query_flag
from app.web.auth import current_principal
from sync import conflicts, receive, staging
from sync import errors as ingest_errors

SYNC = "/projects/<int:project_id>/sync"
CONFLICTS = "/projects/<int:project_id>/sync-conflicts"
PROTOCOL = 1
_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")
# A gzip body may not inflate beyond this (a zip bomb is refused, not decompressed).
MAX_INFLATED = 64 * 1024 * 1024


def _link(project_id: int) -> SyncLink:
    principal = current_principal()
    project_or_404(project_id, "sync.push")
    if principal.sync_link is None or principal.sync_link.project_id != project_id:
        raise problems.insufficient_rights()
    return principal.sync_link


def _authorised_body(project_id: int, limit: int) -> tuple[int, bytes]:
    """(link id, body) for a write: authenticated first, then the transaction ends before
    the body is read: over a slow link that takes seconds, and no snapshot or lock should
    be held meanwhile."""
    link_id = _link(project_id).actor_id
    db.session.rollback()
    if request.content_length is not None and request.content_length > limit:
        raise problems.too_large(limit)
    request.max_content_length = limit
    return link_id, request.get_data(cache=False)


def _staging(link_id: int) -> staging.Staging:
    return staging.Staging(setting("STORAGE_DIR"), link_id)


def _chunk_limit() -> int:
    return setting("SYNC_MAX_CHUNK_BYTES") * 2


@api.get(SYNC)
def sync_hello(project_id: int):
    link = _link(project_id)
    return jsonify({"protocol": PROTOCOL, "linkId": link.actor_id,
                    "displayName": link.actor.display_name, "projectId": link.project_id,
                    "checkpoint": {"cursor": link.cursor, "received": link.received},
                    "maxChunkBytes": _chunk_limit(),
                    "maxBatchItems": receive.MAX_ITEMS,
                    "maxSubmissionBytes": setting("MAX_SUBMISSION_BYTES")})


def _sha(sha256: str) -> str:
    if not staging.SHA256.match(sha256):
        raise problems.unexpected_value("sha256", sha256, "must be 64 lowercase hex digits")
    return sha256


def _upload_status(link_id: int, sha256: str, size: int) -> dict:
    size_known = db.session.scalar(select(Blob.size).where(Blob.sha256 == sha256))
    if size_known is not None:  # already stored here (another version, a form's media...)
        return {"sha256": sha256, "size": size_known, "received": size_known,
                "complete": True}
    status = _staging(link_id).status(sha256, size)
    return {"sha256": sha256, "size": size, "received": status.received,
            "complete": status.complete}


@api.get(f"{SYNC}/uploads/<sha256>")
def sync_upload_status(project_id: int, sha256: str):
    link = _link(project_id)
    try:
        size = int(request.args.get("size", ""))
    except ValueError:
        raise problems.unexpected_value("size", request.args.get("size"),
                                        "must be the file's size in bytes") from None
    return jsonify(_upload_status(link.actor_id, _sha(sha256), size))


@api.put(f"{SYNC}/uploads/<sha256>")
def sync_upload_chunk(project_id: int, sha256: str):
    link_id = _link(project_id).actor_id
    db.session.rollback()  # no transaction held while a slow link delivers the body
    sha256 = _sha(sha256)
    match = _RANGE.match(request.headers.get("Content-Range", ""))
    if match is None:
        raise problems.missing_parameter("Content-Range (bytes START-END/SIZE)")
    start, end, size = (int(x) for x in match.groups())
    limit, length = _chunk_limit(), end - start + 1
    if end < start or length > limit:
        raise problems.unexpected_value("Content-Range", request.headers["Content-Range"],
                                        f"a chunk is 1 to {limit} bytes")
    if size > setting("MAX_SUBMISSION_BYTES"):
        raise problems.too_large(setting("MAX_SUBMISSION_BYTES"))
    if request.content_length != length:
        raise problems.unexpected_value("Content-Range", request.headers["Content-Range"],
                                        f"announces {length} bytes; Content-Length is "
                                        f"{request.content_length}")
    known = _upload_status(link_id, sha256, size)
    if known["complete"]:
        return jsonify(known)
    try:
        status = _staging(link_id).append(sha256, size, start, _body_blocks(length), length)
    except staging.OffsetMismatch as mismatch:
        raise Problem(409.30, mismatch.message, {"received": mismatch.received}) from None
    except staging.StagingError as failure:
        raise Problem(400.11, failure.message, {"received": failure.received}) from None
    return jsonify({"sha256": sha256, "size": size, "received": status.received,
                    "complete": status.complete})


def _body_blocks(length: int) -> Iterator[bytes]:
    """The request body as it arrives; raises ClientDisconnected if the link is cut."""
    remaining = length
    while remaining > 0:
        block = request.stream.read(min(64 * 1024, remaining))
        if not block:
            raise ClientDisconnected()
        remaining -= len(block)
        yield block


def _batch_body(raw: bytes) -> object:
    if request.headers.get("Content-Encoding", "").lower() == "gzip":
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            raw = inflater.decompress(raw, MAX_INFLATED)
        except zlib.error:
            raise problems.unparseable("gzip", len(raw)) from None
        if inflater.unconsumed_tail:
            raise problems.too_large(MAX_INFLATED)
    try:
        return json.loads(raw)
    except ValueError:
        raise problems.unparseable("json", len(raw)) from None


@api.post(f"{SYNC}/batches")
def sync_batch(project_id: int):
    link_id, raw = _authorised_body(project_id, setting("MAX_SUBMISSION_BYTES"))
    body = _batch_body(raw)
    link = db.session.get(SyncLink, link_id)
    if link is None or link.revoked_at is not None:  # revoked while the body arrived
        raise problems.authentication_failed()
    try:
        return jsonify(receive.apply_batch(link, body, _staging(link_id),
                                           submission_service.set_review_state))
    except receive.BadBatch as bad:
        raise problems.unexpected_value(bad.field, None, bad.reason) from None


@api.after_request
def _compress_for_links(response):
    """Answers to a field office's link travel gzipped (JSON and XML; not media, which is
    compressed already): its line is the slow part of the system."""
    principal = g.get("principal")
    if (principal is None or principal.sync_link is None or response.direct_passthrough
            or response.status_code < 200 or "gzip" not in request.headers.get(
                "Accept-Encoding", "") or response.headers.get("Content-Encoding")
            or response.mimetype not in ("application/json", "application/xml", "text/xml")):
        return response
    body = response.get_data()
    if len(body) < 1024:
        return response
    response.set_data(gzip.compress(body, compresslevel=6))
    response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    return response


# --- conflicts ----------------------------------------------------------------------------

def conflict_json(conflict: SyncConflict) -> dict:
    """Both versions side by side; `side` says which one this server holds as data."""
    local = db.session.get(SubmissionDef, conflict.def_id) if conflict.def_id else None
    central_side = conflict.scope.startswith("link:")
    mine = {"instanceId": local.instance_id if local else None,
            "xml": local.xml if local else None,
            "receivedAt": iso(local.created_at) if local else None,
            "deviceId": local.device_id if local else None}
    meta = conflict.other_meta or {}
    other = {"instanceId": conflict.instance_id, "xml": conflict.other_xml,
             "receivedAt": meta.get("receivedAt"), "deviceId": meta.get("deviceId"),
             "channel": meta.get("channel"), "attachments": meta.get("attachments") or []}
    xml_form_id = db.session.scalar(select(Form.xml_form_id).where(
        Form.id == conflict.form_id))
    return {"id": conflict.id, "xmlFormId": xml_form_id, "instanceId": conflict.instance_id,
            "reason": conflict.reason, "side": "central" if central_side else "field",
            "scope": conflict.scope, "createdAt": iso(conflict.created_at),
            "resolution": conflict.resolution, "resolvedAt": iso(conflict.resolved_at),
            "resolvedBy": conflict.resolved_by,
            "versions": {"central": mine if central_side else other,
                         "field": other if central_side else mine}}


def _conflicts_query(project_id: int):
    principal = current_principal()
    project_or_404(project_id, "project.read")
    query = select(SyncConflict).where(SyncConflict.project_id == project_id)
    if principal.sync_link is not None:
        # A link sees its own conflicts: that is how the field office learns resolutions.
        return query.where(SyncConflict.scope == f"link:{principal.sync_link.actor_id}")
    if not principal.can("sync_link.manage", project_id):
        raise problems.insufficient_rights()
    return query


@api.get(CONFLICTS)
def list_sync_conflicts(project_id: int):
    query = _conflicts_query(project_id)
    if "resolved" in request.args:
        resolved = query_flag("resolved")
        query = query.where(SyncConflict.resolved_at.is_not(None) if resolved
                            else SyncConflict.resolved_at.is_(None))
    rows = db.session.scalars(query.order_by(SyncConflict.id)).all()
    return listing([conflict_json(c) for c in rows])


def _one_conflict(project_id: int, conflict_id: int) -> SyncConflict:
    conflict = db.session.scalar(_conflicts_query(project_id).where(
        SyncConflict.id == conflict_id))
    if conflict is None:
        raise problems.not_found()
    return conflict


@api.get(f"{CONFLICTS}/<int:conflict_id>")
def get_sync_conflict(project_id: int, conflict_id: int):
    return jsonify(conflict_json(_one_conflict(project_id, conflict_id)))


@api.post(f"{CONFLICTS}/<int:conflict_id>/resolve")
def resolve_sync_conflict(project_id: int, conflict_id: int):
    conflict = _one_conflict(project_id, conflict_id)
    principal = current_principal()
    if principal.sync_link is not None:
        raise problems.insufficient_rights()
    keep = json_body("keep")["keep"]
    if keep not in conflicts.KEEP:
        raise problems.unexpected_value("keep", keep, f"must be one of {', '.join(conflicts.KEEP)}")
    try:
        conflicts.resolve(conflict, keep, principal.actor.id)
    except conflicts.ResolutionRefused as refused:
        raise problems.invalid_state(str(refused), {"conflictId": conflict.id}) from None
    except ingest_errors.IngestError as failure:  # e.g. the form stopped taking submissions
        db.session.rollback()
        raise Problem(failure.code, failure.message, failure.details) from None
    return jsonify(conflict_json(conflict))

"""What the sync tests assert about two servers: the same versions, byte-identical files."""
from __future__ import annotations

import hashlib

from sqlalchemy import select

from app.extensions import db
from app.models import Blob, Form, Submission, SubmissionAttachment, SubmissionDef
from app.services.storage import blob_path


def versions(project_id: int) -> dict[tuple[str, str], dict]:
    """(xmlFormId, instanceId) -> what a version is made of, in one project."""
    out = {}
    rows = db.session.execute(
        select(Form.xml_form_id, SubmissionDef.id, SubmissionDef.instance_id,
               SubmissionDef.deprecated_id, SubmissionDef.xml_sha256, SubmissionDef.created_at,
               SubmissionDef.device_id, SubmissionDef.current, Submission.channel,
               Submission.review_state, Submission.instance_id, SubmissionDef.xml)
        .join(Submission, Submission.id == SubmissionDef.submission_id)
        .join(Form, Form.id == SubmissionDef.form_id).where(Form.project_id == project_id))
    for form, def_id, iid, dep, sha, at, device, current, channel, review, root, xml in rows:
        out[(form, iid)] = {"deprecated": dep, "sha": sha, "at": at, "device": device,
                            "current": current, "channel": channel, "review": review,
                            "root": root, "files": files(def_id), "xml": xml}
    return out


def files(def_id: int) -> dict[str, str]:
    """name -> sha256 of the bytes on disk (read back, not the stored hash)."""
    out = {}
    for name, sha in db.session.execute(
            select(SubmissionAttachment.name, Blob.sha256)
            .join(Blob, Blob.id == SubmissionAttachment.blob_id)
            .where(SubmissionAttachment.submission_def_id == def_id)):
        out[name] = hashlib.sha256(blob_path(sha).read_bytes()).hexdigest()
    return out

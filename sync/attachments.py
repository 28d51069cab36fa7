"""Attachment bytes for ingest: fsynced content-addressed files, and their blob rows in one step."""
from __future__ import annotations

import mimetypes

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.extensions import db
from app.models import Blob
from app.services.storage import write_file


def store(name: str, data: bytes) -> int:
    """The blob id for these bytes; the file is on disk (fsynced) before this returns, so the
    transaction that references it can only commit once the bytes are safe."""
    sha256, md5 = write_file(data)
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    # One round trip for new and known bytes alike (store_blob needs an INSERT and a SELECT).
    statement = insert(Blob).values(sha256=sha256, md5=md5, size=len(data),
                                    content_type=content_type)
    statement = statement.on_conflict_do_update(
        index_elements=["sha256"], set_={"size": statement.excluded.size}).returning(Blob.id)
    return db.session.execute(statement).scalar_one()

"""Up-sync to a DataShift central server: batches of versions, resumable file uploads,
then review states and comments.

A batch names each version's files by sha256; the central server stores a version only once
it has every one of its files (else it answers `missing`), so each file is uploaded first,
in chunks, resuming from the last byte the server confirmed; then the version is sent again.
Each answer is recorded here at once (`sync_sent`), and the checkpoint moves past what is
done, so a run cut anywhere resumes where the confirmations end. Requests are sized so each
takes about SYNC_TARGET_SECONDS on the link measured so far (`Pacer`).
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.models import Form, SyncPeer
from app.models.sync import SentState
from forms.review import ReviewState
from sync import conflicts, outgoing
from sync.ingest import IngestStatus
from sync.outgoing import File, Version
from sync.receive import BatchStatus
from sync.remote import Remote
from sync.wire import WireError

ROUNDS = 3  # a version is sent at most this often per run (files may still be on their way)


@dataclass
class PushReport:
    stored: int = 0
    duplicates: int = 0
    conflicts: int = 0
    refused: list[str] = field(default_factory=list)
    files_uploaded: int = 0
    bytes_uploaded: int = 0
    reviews: int = 0
    comments: int = 0


class Pacer:
    """A request size that keeps each request near half of `target` seconds on this link:
    the link's rate measured on each request, smoothed; halved after a request that had to
    be retried (a smaller request loses less to the next cut). Within [low, high]."""

    def __init__(self, start: int, low: int, high: int, target: float):
        self.low, self.high, self.target = low, high, target
        self.size = max(low, min(start, high))

    def observe(self, nbytes: int, seconds: float, retried: bool = False) -> None:
        if retried:
            self.size = max(self.low, self.size // 2)
            return
        if seconds <= 0 or nbytes < 4096:
            return  # a tiny request says little about the link
        wanted = nbytes / seconds * self.target / 2
        self.size = int(min(self.high, max(self.low, (self.size + wanted) / 2)))


@dataclass(frozen=True)
class Limits:
    batch_items: int = 50
    batch_bytes: int = 256 * 1024
    chunk_bytes: int = 64 * 1024  # ~5 s at 100 kbit/s, before the line is measured
    max_chunk_bytes: int = 4 * 1024 * 1024
    target_seconds: float = 10.0


class DataShiftPush:
    def __init__(self, peer: SyncPeer, remote: Remote, limits: Limits,
                 keep_alive: Callable[[], None] = lambda: None,
                 clock: Callable[[], float] = time.monotonic):
        self.peer, self.remote, self.limits = peer, remote, limits
        self.keep_alive, self.clock = keep_alive, clock
        self.report = PushReport()
        self.batches = Pacer(limits.batch_bytes, 8 * 1024, limits.batch_bytes,
                             limits.target_seconds)
        self.chunks = Pacer(limits.chunk_bytes, 16 * 1024, limits.max_chunk_bytes,
                            limits.target_seconds)

    def run(self) -> PushReport:
        """Every waiting version, oldest first; then review states and comments; then the
        checkpoint moves."""
        after = self.peer.cursor
        while True:
            versions = outgoing.waiting(self.peer, after, self.limits.batch_items)
            if not versions:
                break
            after = self._send_versions(versions)
            self.keep_alive()
        self._reviews()
        self._comments()
        outgoing.advance_cursor(self.peer)
        db.session.commit()
        return self.report

    def _send_versions(self, versions: list[Version]) -> int:
        """Send the first batch's worth of `versions`; the id of the last one sent."""
        batch, size = [], 0
        for version in versions:
            cost = len(version.xml) + 300 * (1 + len(version.files))
            if batch and size + cost > self.batches.size:
                break
            batch.append(version)
            size += cost
        self._send(batch, batch[-1].def_id)
        return batch[-1].def_id

    # -- versions ----------------------------------------------------------------------------
    def _batch(self, cursor: int, items: list[dict[str, Any]]) -> dict[str, Any]:
        started, retries = self.clock(), self.remote.wire.retried
        answer = self.remote.batch(cursor, items)
        self.batches.observe(len(json.dumps(items)), self.clock() - started,
                             self.remote.wire.retried > retries)
        return {result.get("key"): result for result in answer.get("results") or []}

    def _send(self, batch: list[Version], cursor: int) -> None:
        """Record the answers and commit before any upload: nothing waits on the line while
        it holds the office's database (on SQLite, an open write blocks every other writer,
        the office's Collect phones included)."""
        pending = batch
        for _ in range(ROUNDS):
            results = self._batch(cursor, [v.item() for v in pending])
            needing = []
            for version in pending:
                result = results.get(version.def_id) or {
                    "status": BatchStatus.ERROR, "message": "no answer for this version"}
                if result.get("status") == BatchStatus.MISSING:
                    needing.append((version, result.get("missing") or []))
                    continue
                self._record(version, result)
            db.session.commit()
            again = []
            for version, missing in needing:
                uploaded = self._upload_missing(version, missing)
                db.session.commit()
                if uploaded:
                    again.append(version)
            if not again:
                return
            pending = again
        for version in pending:
            self._refuse(version, "its files were uploaded but the server still misses some")
        db.session.commit()

    def _record(self, version: Version, result: dict[str, Any]) -> None:
        status = result.get("status")
        if status in set(IngestStatus):
            outgoing.confirm(self.peer, version.def_id, SentState.CONFIRMED, len(version.files))
            if status == IngestStatus.DUPLICATE:
                self.report.duplicates += 1
            else:
                self.report.stored += 1
        elif status == BatchStatus.CONFLICT:
            detail = result.get("conflict") or {}
            self._conflict(version, detail.get("reason") or "xml", detail.get("centralXml"),
                           {"remoteConflictId": detail.get("id")})
        else:
            self._refuse(version, f"{result.get('code', '')} {result.get('message', status)}")

    def _conflict(self, version: Version, reason: str, central_xml: str | None,
                  meta: dict[str, Any]) -> None:
        """Keep the central server's version beside ours; ours is never overwritten."""
        form_id = db.session.scalar(select(Form.id).where(
            Form.project_id == self.peer.project_id, Form.xml_form_id == version.xml_form_id))
        conflicts.record(scope=f"peer:{self.peer.id}", project_id=self.peer.project_id,
                         form_id=form_id, instance_id=version.instance_id, reason=reason,
                         def_id=version.def_id, other_xml=central_xml or "", other_meta=meta)
        outgoing.confirm(self.peer, version.def_id, SentState.CONFLICT, 0, reason)
        self.report.conflicts += 1

    def _refuse(self, version: Version, detail: str) -> None:
        outgoing.confirm(self.peer, version.def_id, SentState.REJECTED, 0, detail.strip()[:1000])
        self.report.refused.append(f"{version.xml_form_id} {version.instance_id}: "
                                   f"{detail.strip()}")

    # -- files -------------------------------------------------------------------------------
    def _upload_missing(self, version: Version, missing: list[str]) -> bool:
        """Upload each missing file of `version`; False (version refused) if one cannot be."""
        by_sha = {f.sha256: f for f in version.files}
        for sha256 in missing:
            file = by_sha.get(sha256)
            if file is None:
                self._refuse(version, f"the server asks for a file this office lacks {sha256}")
                return False
            try:
                self.upload(file)
            except WireError as error:
                if error.status is None or error.status >= 500:
                    raise  # the link, not the file: stop the run, resume next time
                self._refuse(version, f"file {file.name}: {error}")
                return False
        return True

    def upload(self, file: File) -> None:
        """Send a file in chunks from the last byte the server confirmed."""
        status = self.remote.upload_status(file.sha256, file.size)
        received = int(status.get("received") or 0)
        if status.get("complete"):
            return
        with open(file.path(), "rb") as handle:
            while received < file.size:
                handle.seek(received)
                data = handle.read(self.chunks.size)
                started, retries = self.clock(), self.remote.wire.retried
                answer = self.remote.upload_chunk(file.sha256, file.size, received, data)
                self.chunks.observe(len(data), self.clock() - started,
                                    self.remote.wire.retried > retries)
                new = int(answer.get("received") or 0)
                if new > received:
                    self.report.bytes_uploaded += new - received
                received = new
                if answer.get("complete"):
                    break
                self.keep_alive()
        self.report.files_uploaded += 1

    # -- reviews and comments ----------------------------------------------------------------
    def _reviews(self) -> None:
        while True:
            changes = outgoing.review_changes(self.peer)
            items, skipped_to = [], None
            for audit_id, row in changes:
                state = outgoing.sent_state(self.peer, row.form_id, row.instance_id)
                if state in (None, SentState.REJECTED):
                    break  # its submission has not reached the server yet: wait for it
                if state == SentState.CONFLICT or row.review_state in (None, ReviewState.RECEIVED):
                    skipped_to = audit_id
                    continue
                items.append({"kind": "review", "key": audit_id,
                              "xmlFormId": row.xml_form_id, "instanceId": row.instance_id,
                              "reviewState": row.review_state})
            if not items:
                if skipped_to is not None:
                    self.peer.review_cursor = skipped_to
                    db.session.commit()
                    continue
                return
            if not self._apply(items, "review_cursor"):
                return
            self.report.reviews += len(items)

    def _comments(self) -> None:
        while True:
            items = []
            for row in outgoing.new_comments(self.peer):
                state = outgoing.sent_state(self.peer, row.form_id, row.instance_id)
                if state != SentState.CONFIRMED:
                    break
                items.append({"kind": "comment", "key": row.id, "xmlFormId": row.xml_form_id,
                              "instanceId": row.instance_id, "body": row.body,
                              "author": {"id": row.actor_id, "name": row.display_name},
                              "createdAt": outgoing.utc_iso(row.created_at)})
            if not items or not self._apply(items, "comment_cursor"):
                return
            self.report.comments += len(items)

    def _apply(self, items: list[dict[str, Any]], cursor: str) -> bool:
        """Send review/comment items; move the checkpoint over those the server took, in
        order. False when one was refused (it is tried again at the next run)."""
        results = self._batch(self.peer.cursor, items)
        for item in items:
            result = results.get(item["key"]) or {}
            if result.get("status") != BatchStatus.OK:
                self.report.refused.append(
                    f"{item['kind']} of {item['instanceId']}: {result.get('message')}")
                db.session.commit()
                return False
            setattr(self.peer, cursor, item["key"])
        db.session.commit()
        return True

"""Up-sync to a real ODK Central (no sync extension there): OpenRosa POSTs, as Collect does.

Central accepts the same XML again to add files to a submission, so a version's files are
sent a few per POST (the XML in each) and every POST that succeeds is recorded at once: a cut
link resumes from the next file, not from the first. Review states go by `PATCH`, comments by
`POST .../comments` (checked against the comments already there, since Central keys them by
nothing). What Central cannot hold is not sent: the channel, the original received time and
the submitter (Central records its own time and the credential that posted).
"""
from __future__ import annotations

import mimetypes
from typing import Any

from app.extensions import db
from app.models import SyncSent
from app.models.sync import SentState
from forms.review import ReviewState
from sync import outgoing
from sync.outgoing import Version
from sync.push import DataShiftPush
from sync.wire import WireError

POST_BYTES = 10 * 1024 * 1024  # files per OpenRosa POST, as Collect splits by Accept-Length
MIN_RATE = 2_000  # bytes/s a POST is given time for (100 kbit/s lines, with margin)


def _conflict_reason(error: WireError) -> str | None:
    """Which conflict an OpenRosa refusal means (Central answers in words, as XML)."""
    text = str(error.body or error).lower()
    if error.status == 409 and "different xml" in text:
        return "xml"
    if error.status == 409 and ("out of date" in text or "already exists" in text):
        return "edit"
    if error.status == 404 and "can't find that submission" in text:
        return "chain"
    return None


class CentralPush(DataShiftPush):
    """The same selection and bookkeeping as DataShiftPush, over plain Central routes."""

    def _send_versions(self, versions: list[Version]) -> int:
        for version in versions:
            self._post(version)
            db.session.commit()
            self.keep_alive()
        return versions[-1].def_id

    def _post(self, version: Version) -> None:
        sent = db.session.get(SyncSent, (self.peer.id, version.def_id))
        done = sent.attachments if sent is not None and sent.state == SentState.CONFIRMED else 0
        groups: list[list[Any]] = [[]]
        for file in version.files[done:]:
            if groups[-1] and sum(f.size for f in groups[-1]) + file.size > POST_BYTES:
                groups.append([])
            groups[-1].append(file)
        xml = version.xml.encode("utf-8")
        for group in groups:
            files = {}
            for file in group:
                with open(file.path(), "rb") as handle:
                    files[file.name] = (handle.read(), mimetypes.guess_type(file.name)[0]
                                        or "application/octet-stream")
            size = len(xml) + sum(f.size for f in group)
            try:
                self.remote.openrosa_submit(xml, files, version.device_id,
                                            timeout=max(60.0, size / MIN_RATE))
            except WireError as error:
                if error.status is None or error.status >= 500:
                    raise
                reason = _conflict_reason(error)
                if reason is not None:
                    central = self.remote.submission_xml(version.xml_form_id,
                                                         version.instance_id)
                    self._conflict(version, reason, central.decode() if central else None,
                                   {"central": "odk"})
                else:
                    self._refuse(version, str(error))
                return
            done += len(group)
            self.report.bytes_uploaded += sum(f.size for f in group)
            self.report.files_uploaded += len(group)
            outgoing.confirm(self.peer, version.def_id, SentState.CONFIRMED, done)
            db.session.commit()
        self.report.stored += 1

    def _reviews(self) -> None:
        for audit_id, row in outgoing.review_changes(self.peer, limit=10_000):
            state = outgoing.sent_state(self.peer, row.form_id, row.instance_id)
            if state in (None, SentState.REJECTED):
                return
            if (state == SentState.CONFIRMED
                    and row.review_state not in (None, ReviewState.RECEIVED)):
                try:
                    self.remote.review(row.xml_form_id, row.instance_id, row.review_state)
                except WireError as error:
                    if error.status is None or error.status >= 500:
                        raise
                    self.report.refused.append(f"review of {row.instance_id}: {error}")
                    return
                self.report.reviews += 1
            self.peer.review_cursor = audit_id
            db.session.commit()

    def _comments(self) -> None:
        for row in outgoing.new_comments(self.peer, limit=10_000):
            if outgoing.sent_state(self.peer, row.form_id, row.instance_id) != SentState.CONFIRMED:
                return
            there = {c.get("body") for c in self.remote.comments(row.xml_form_id,
                                                                 row.instance_id)}
            if row.body not in there:  # a retry after a lost answer posts nothing twice
                self.remote.add_comment(row.xml_form_id, row.instance_id, row.body)
                self.report.comments += 1
            self.peer.comment_cursor = row.id
            db.session.commit()

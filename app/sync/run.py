"""One sync run of a field office with one peer: forms down, submissions up, conflicts'
resolutions mirrored; the peer's status written whatever happens.

Runs hold the peer's lease (sync/peers.py): a second run meanwhile (cron overlap, the worker
and a person at the console) finds it taken and does nothing. A run that loses the line
stops; what it had confirmed stays confirmed, and the next run resumes from there.
"""
from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select

from app.extensions import db
from app.models import SyncConflict, SyncPeer
from app.models.base import utcnow
from app.sync import peers
from app.sync.pull import PullReport, pull_forms
from sync import outgoing
from sync.push import DataShiftPush, Limits, PushReport
from sync.push_central import CentralPush
from sync.wire import Refused, WireError, WireOptions

log = logging.getLogger(__name__)
LEASE_SECONDS = 300


class Busy(Exception):
    """Another run holds this peer's lease."""


@dataclass
class RunReport:
    peer_id: int
    pulled: PullReport = field(default_factory=PullReport)
    pushed: PushReport = field(default_factory=PushReport)
    resolved: int = 0
    error: str | None = None
    waiting: int = 0
    waiting_bytes: int = 0

    @property
    def complete(self) -> bool:
        """Everything that was waiting was sent (exit status 0)."""
        return self.error is None and self.waiting == 0


def run_peer(peer_id: int, options: WireOptions, limits: Limits,
             progress: Callable[[str], None] | None = None) -> RunReport:
    """Sync one peer once; raises Busy when another run holds it."""
    owner = uuid.uuid4().hex
    if not peers.acquire(peer_id, owner, LEASE_SECONDS):
        raise Busy(f"another sync run of peer {peer_id} is under way")
    report = RunReport(peer_id)
    try:
        peer = db.session.get(SyncPeer, peer_id)
        remote = peers.remote_for(peer, options)

        def keep_alive() -> None:
            if not peers.renew(peer_id, owner, LEASE_SECONDS):
                raise Busy("the run's lease was lost (stalled past its lease)")

        try:
            hello = remote.hello()
            peer.last_contact_at = utcnow()
            db.session.commit()
            if peer.dialect == "datashift" and hello is None:
                raise WireError("the server no longer speaks the DataShift sync extension")
            report.pulled = pull_forms(remote, peer.project_id, progress=progress)
            keep_alive()
            pusher = DataShiftPush if peer.dialect == "datashift" else CentralPush
            report.pushed = pusher(peer, remote, limits, keep_alive=keep_alive).run()
            if peer.dialect == "datashift":
                report.resolved = _mirror_resolutions(peer, remote.conflicts())
            peer.last_success_at = peer.last_contact_at = utcnow()
            peer.last_error = "; ".join(report.pushed.refused[:3]) or None
            db.session.commit()
        except (WireError, Busy) as error:
            db.session.rollback()
            peer = db.session.get(SyncPeer, peer_id)
            report.error = ("the central server refused this office's credential (revoked?): "
                            if isinstance(error, Refused) else "") + str(error)
            peer.last_error = report.error[:2000]
            if not isinstance(error, Refused) and getattr(error, "status", None):
                peer.last_contact_at = utcnow()
            db.session.commit()
            log.warning("sync of peer %s stopped: %s", peer_id, report.error)
        report.waiting, report.waiting_bytes = outgoing.waiting_totals(peer)
        return report
    finally:
        db.session.rollback()
        peers.release(peer_id, owner)


def _mirror_resolutions(peer: SyncPeer, remote_conflicts: list[dict]) -> int:
    """Close this office's copy of each conflict the central server's manager resolved."""
    by_remote = {c.get("id"): c for c in remote_conflicts if c.get("resolvedAt")}
    closed = 0
    for conflict in db.session.scalars(select(SyncConflict).where(
            SyncConflict.scope == f"peer:{peer.id}", SyncConflict.resolved_at.is_(None))):
        remote = by_remote.get((conflict.other_meta or {}).get("remoteConflictId"))
        if remote is not None:
            conflict.resolution = remote.get("resolution")
            conflict.resolved_at = utcnow()
            closed += 1
    db.session.commit()
    return closed

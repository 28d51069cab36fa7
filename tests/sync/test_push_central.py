"""Pushing a field office's submissions to an ODK Central server: no sync extension there,
so the same code falls back to OpenRosa POSTs (files a few per POST, each POST recorded),
PATCH for review states and POST for comments. Our own server, reached as a web user,
speaks exactly that dialect."""
from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.models import Comment, Form, SyncConflict, SyncPeer, SyncSent
from app.services import accounts, projects
from app.services import submissions as submission_service
from app.sync import peers
from app.sync.run import run_peer
from sync import push_central
from sync.ingest import ingest
from sync.push import Limits
from sync.wire import WireOptions
from tests.conftest import PASSWORD
from tests.openrosa.fixtures import SITE_XFORM, jpeg, publish_xform, site_instance
from tests.sync import checks

OPTIONS = WireOptions(backoff=0.01, retries=4)


def test_plain_central_gets_every_version_and_file_once(central, field, monkeypatch):
    with central.ctx():
        pid = projects.create_project("ODK Central project").id
        accounts.create_user("manager@example.org", PASSWORD, admin=True)
        db.session.commit()
        publish_xform(pid, SITE_XFORM.replace("{version}", "1"))
        ingest(project_id=pid, xml=site_instance("uuid:p9", site="Central"), attachments={},
               channel="collect", submitter_id=None, device_id=None)
    with field.ctx():
        peer, _ = peers.pair(f"{central.url}/v1/projects/{pid}", None,
                             email="manager@example.org", password=PASSWORD, options=OPTIONS)
        assert peer.dialect == "central"
        assert PASSWORD not in peer.credentials  # encrypted at rest, as a token is
        peer_id, local = peer.id, peer.project_id
        assert run_peer(peer_id, OPTIONS, Limits()).pulled.versions_added == 1
        head = accounts.create_user("head@example.org", None, display_name="Office head")
        db.session.commit()
        photos = {"a.jpg": jpeg(60_000, seed=1), "b.jpg": jpeg(50_000, seed=2)}
        ingest(project_id=local, xml=site_instance("uuid:p1", photo="a.jpg", closeup="b.jpg"),
               attachments=photos, channel="collect", submitter_id=None, device_id="dev:1")
        ingest(project_id=local, xml=site_instance("uuid:p2", site="Kayole",
                                                   deprecated_id="uuid:p1", photo="a.jpg",
                                                   closeup="b.jpg"),
               attachments={}, channel="collect", submitter_id=None, device_id="dev:1")
        ingest(project_id=local, xml=site_instance("uuid:p9", site="Field"), attachments={},
               channel="collect", submitter_id=None, device_id=None)
        form = db.session.scalar(select(Form).where(Form.project_id == local))
        submission = submission_service.get_submission(form, "uuid:p1")
        submission_service.set_review_state(form, submission, "approved", head.actor_id)
        submission_service.add_comment(submission, head.actor_id, "Fixed")
        db.session.commit()
        # One file per POST: each recorded on its own, so a cut resumes at the next file.
        monkeypatch.setattr(push_central, "POST_BYTES", 1)
        report = run_peer(peer_id, OPTIONS, Limits())
        assert report.error is None and report.complete, report.pushed.refused
        assert (report.pushed.stored, report.pushed.files_uploaded, report.pushed.conflicts,
                report.pushed.reviews, report.pushed.comments) == (2, 4, 1, 1, 1)
        sent = db.session.scalars(select(SyncSent.attachments).order_by(
            SyncSent.submission_def_id)).all()
        assert sent == [2, 2, 0]
        assert db.session.scalar(select(SyncConflict.reason)) == "xml"
        office = checks.versions(local)
        again = run_peer(peer_id, OPTIONS, Limits())
        assert again.complete and again.pushed.stored == 0 and again.pushed.comments == 0
        assert db.session.get(SyncPeer, peer_id).cursor > 0
    with central.ctx():
        there = checks.versions(pid)
        for key in (("site_photos", "uuid:p1"), ("site_photos", "uuid:p2")):
            for what in ("sha", "deprecated", "files", "current"):
                assert there[key][what] == office[key][what], (key, what)
        assert there[("site_photos", "uuid:p2")]["review"] == "approved"
        assert db.session.scalar(select(func.count(Comment.id))) == 1
        assert "Central" in there[("site_photos", "uuid:p9")]["xml"]  # never overwritten

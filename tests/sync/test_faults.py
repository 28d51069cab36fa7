"""Exactly once through any cut: a field office syncs a central server through a proxy that
cuts connections after a random number of bytes; the central server ends with exactly the
office's submissions and byte-identical files, and a second run transfers nothing.

`make test` runs it at a CI scale (below); SYNC_FULL=1 runs the issue's scale: 2,000
submissions of the shared forms, 200 with 1-5 MB photos, edits and a conflict, 50 cuts.
"""
from __future__ import annotations

import os

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Comment, Form, SyncConflict
from app.services import accounts, app_users
from app.services.projects import create_project
from app.sync import peers
from app.sync.run import run_peer
from forms.instance import build_instance
from forms.model import parse_xform
from sync.ingest import ingest
from sync.push import Limits
from sync.wire import WireOptions
from tests.sync import checks
from tests.sync.faultproxy import FaultProxy
from tests.sync.live import new_link, publish_shared_forms
from tests.sync.workload import answers, populate

FULL = os.environ.get("SYNC_FULL") == "1"
SCALE = (dict(submissions=2000, with_photos=200, photo_bytes=(1_000_000, 5_000_000),
              edits=100, cuts=50) if FULL else
         dict(submissions=150, with_photos=6, photo_bytes=(1_000_000, 1_500_000), edits=12,
              cuts=12))
OPTIONS = WireOptions(backoff=0.01, backoff_max=0.2, retries=10, read_timeout=30)


def _expected_bytes() -> int:
    low, high = SCALE["photo_bytes"]
    return SCALE["with_photos"] * (low + high) // 2 + SCALE["submissions"] * 1500


def test_field_office_syncs_exactly_once_through_cuts(central, field):
    with central.ctx():
        pid = create_project("Central CSO").id
        db.session.commit()
        publish_shared_forms(pid)
        token = new_link(pid)
    # Cuts fall on the stream at random, a budget of them spread over the whole transfer.
    proxy = FaultProxy(int(central.url.rsplit(":", 1)[1]),
                       cut_every=_expected_bytes() / (SCALE["cuts"] * 2),
                       max_cuts=SCALE["cuts"], seed=13)
    try:
        with field.ctx():
            peer, _ = peers.pair(f"{proxy.url}/v1/projects/{pid}", token, options=OPTIONS)
            peer_id, local = peer.id, peer.project_id
            assert run_peer(peer_id, OPTIONS, Limits()).pulled.forms_created == 4
            forms = {f.xml_form_id: f for f in db.session.scalars(
                select(Form).where(Form.project_id == local))}
            head = accounts.create_user("head@example.org", None, display_name="Office head")
            phones = [app_users.create_app_user(local, f"Phone {i}", None)[0].actor_id
                      for i in range(5)]
            db.session.commit()
            work = populate(local, forms, submissions=SCALE["submissions"],
                            with_photos=SCALE["with_photos"],
                            photo_bytes=SCALE["photo_bytes"], edits=SCALE["edits"],
                            reviewer_id=head.actor_id, submitter_ids=phones)
            contested = next(key for key in work.versions if key[0] == "water_point")
        with central.ctx():
            # The same instance reached the central server from elsewhere, with other answers.
            form = db.session.scalar(select(Form).where(Form.xml_form_id == "water_point"))
            xml = build_instance(parse_xform(form.current_version.xml.encode()),
                                 answers("water_point", 999_999), instance_id=contested[1])
            ingest(project_id=pid, xml=xml, attachments={}, channel="collect",
                   submitter_id=None, device_id="collect:elsewhere")
        runs = []
        with field.ctx():
            for _ in range(30):
                report = run_peer(peer_id, OPTIONS, Limits(chunk_bytes=512 * 1024))
                runs.append(report)
                if report.complete:
                    break
            assert report.complete, [r.error for r in runs]
            print(f"runs {len(runs)}, {proxy.stats}, retried {sum(1 for r in runs if r.error)}")
            assert proxy.stats.cuts == SCALE["cuts"], proxy.stats
            office = checks.versions(local)
            office_comments = db.session.scalar(select(func.count(Comment.id)))
            assert db.session.scalar(select(func.count(SyncConflict.id))) == 1
        with central.ctx():
            there = checks.versions(pid)
            assert there.keys() == office.keys()
            assert len(there) == SCALE["submissions"] + SCALE["edits"]
            for key, mine in office.items():
                theirs = there[key]
                if key == contested:
                    assert theirs["sha"] != mine["sha"]  # never overwritten
                    continue
                for what in ("deprecated", "sha", "at", "channel", "current", "files"):
                    assert theirs[what] == mine[what], (key, what)
                if mine["review"] not in (None, "received"):
                    assert theirs["review"] == mine["review"], key
            photos = sum(len(v["files"]) for v in there.values() if not v["deprecated"])
            assert photos == SCALE["with_photos"]
            assert db.session.scalar(select(func.count(Comment.id))) == office_comments
            conflict = db.session.scalar(select(SyncConflict))
            assert (conflict.instance_id, conflict.reason) == (contested[1], "xml")
        proxy.reset_stats()
        with field.ctx():
            second = run_peer(peer_id, OPTIONS, Limits())
        assert second.complete and second.pushed.stored == 0
        assert second.pushed.files_uploaded == 0 and second.pushed.duplicates == 0
        assert proxy.stats.bytes < 64 * 1024, proxy.stats  # hello, forms list, conflicts
    finally:
        proxy.close()


@pytest.mark.skipif(not FULL, reason="the issue's full scale: SYNC_FULL=1")
def test_full_scale_is_what_this_run_used():
    assert SCALE["submissions"] == 2000 and SCALE["with_photos"] == 200

"""A field office (SQLite) paired with a central server (PostgreSQL), both live over HTTP:
forms come down, submissions go up with everything that makes them, exactly once."""
from __future__ import annotations

import hashlib

from defusedxml.ElementTree import fromstring
from sqlalchemy import func, select

from app.extensions import db
from app.models import Comment, Form, FormVersion, SubmissionDef, SyncConflict, SyncLink
from app.services import accounts, app_users
from app.services.projects import create_project
from app.sync import peers
from app.sync.run import run_peer
from sync.push import Limits
from sync.wire import WireOptions
from tests.openrosa.collect_client import CollectClient
from tests.openrosa.fixtures import SITE_XFORM, png, publish_xform, site_instance
from tests.sync import checks
from tests.sync.live import new_link, publish_shared_forms
from tests.sync.workload import populate

OPTIONS = WireOptions(backoff=0.01, retries=6)
XF = {"x": "http://openrosa.org/xforms/xformsList"}
MF = {"m": "http://openrosa.org/xforms/xformsManifest"}


def _central_project(central) -> tuple[int, str]:
    with central.ctx():
        pid = create_project("Turkana CSO").id
        db.session.commit()
        publish_shared_forms(pid)
        site = publish_xform(pid, SITE_XFORM.replace("{version}", "1"))
        from app.services import forms as form_service

        form_service.set_attachment(site.current_version, "logo.png", png(32), "image/png")
        db.session.commit()
        return pid, new_link(pid)


def _pair(field, central, pid, token) -> tuple[int, int]:
    with field.ctx():
        peer, created = peers.pair(f"{central.url}/v1/projects/{pid}", token, options=OPTIONS)
        assert created and peer.dialect == "datashift"
        return peer.id, peer.project_id


def test_forms_come_down_with_every_version_media_and_state(central, field):
    pid, token = _central_project(central)
    with central.ctx():
        publish_xform(pid, SITE_XFORM.replace("{version}", "2"))
        form = db.session.scalar(select(Form).where(Form.xml_form_id == "water_point"))
        form.state = "closing"
        db.session.commit()
        wanted = {(f.xml_form_id, v.version, v.hash) for f, v in db.session.execute(
            select(Form, FormVersion).join(FormVersion, FormVersion.form_id == Form.id)
            .where(FormVersion.published_at.is_not(None)))}
    peer_id, local = _pair(field, central, pid, token)
    with field.ctx():
        user, tablet_token = app_users.create_app_user(local, "Office tablet", None)
        db.session.commit()
        report = run_peer(peer_id, OPTIONS, Limits())
        assert report.error is None, report.error
        got = {(f.xml_form_id, v.version, v.hash) for f, v in db.session.execute(
            select(Form, FormVersion).join(FormVersion, FormVersion.form_id == Form.id)
            .where(Form.project_id == local, FormVersion.published_at.is_not(None)))}
        assert got == wanted
        site = db.session.scalar(select(Form).where(Form.project_id == local,
                                                    Form.xml_form_id == "site_photos"))
        assert site.current_version.version == "2"
        assert [a.blob.size for a in site.current_version.attachments] == [len(png(32))]
        water = db.session.scalar(select(Form).where(Form.project_id == local,
                                                     Form.xml_form_id == "water_point"))
        assert water.state == "closing"
        # The office's Collect devices see the new forms.
        assert len(app_users.form_assignments(local)) == 5
        assert user.actor_id in {a for a, _ in app_users.form_assignments(local)}
        again = run_peer(peer_id, OPTIONS, Limits())
        assert again.pulled.versions_added == 0 and again.pulled.media_files == 0
    # The office's Collect devices see the forms, as Collect asks for them: the same XForm
    # hashes and media bytes as at the central server, and they can send to them.
    collect = CollectClient(f"{field.url}/v1/key/{tablet_token}/projects/{local}")
    listing = fromstring(collect.form_list().content)
    hashes = {x.findtext("x:formID", namespaces=XF): x.findtext("x:hash", namespaces=XF)
              for x in listing.findall("x:xform", XF)}
    # (as at Central, a closing form takes submissions but is no longer listed)
    assert hashes == {f: f"md5:{h}" for f, v, h in wanted
                      if f != "water_point" and v == ("2" if f == "site_photos" else v)}
    site = next(x for x in listing.findall("x:xform", XF)
                if x.findtext("x:formID", namespaces=XF) == "site_photos")
    manifest = fromstring(collect.get(site.findtext("x:manifestUrl", namespaces=XF)).content)
    media = manifest.find("m:mediaFile", MF)
    logo = collect.get(media.findtext("m:downloadUrl", namespaces=MF))
    assert logo.content == png(32)
    assert media.findtext("m:hash", namespaces=MF) == f"md5:{hashlib.md5(png(32)).hexdigest()}"
    sent = collect.submit(site_instance("uuid:from-office-tablet", version="2"), {})
    assert sent[-1].status_code == 201


def test_submissions_go_up_exactly_once_with_edits_reviews_comments(central, field):
    pid, token = _central_project(central)
    peer_id, local = _pair(field, central, pid, token)
    with field.ctx():
        assert run_peer(peer_id, OPTIONS, Limits()).error is None
        forms = {f.xml_form_id: f for f in db.session.scalars(
            select(Form).where(Form.project_id == local))}
        reviewer = accounts.create_user("office@example.org", None, display_name="Office head")
        phone = app_users.create_app_user(local, "Amina's phone", None)[0]
        db.session.commit()
        work = populate(local, {k: v for k, v in forms.items() if k != "site_photos"},
                        submissions=40, with_photos=4, photo_bytes=(30_000, 200_000), edits=5,
                        reviewer_id=reviewer.actor_id, submitter_ids=[phone.actor_id])
        report = run_peer(peer_id, OPTIONS, Limits(batch_items=7, chunk_bytes=64 * 1024))
        assert report.error is None and report.complete, (report.error, report.pushed.refused)
        assert report.pushed.stored == 45 and report.pushed.files_uploaded == 4
        field_versions = checks.versions(local)
        # The office's checkpoint: everything up to its newest version is confirmed.
        from app.models import SyncPeer

        newest = db.session.scalar(select(func.max(SubmissionDef.id)))
        assert db.session.get(SyncPeer, peer_id).cursor == newest
    with central.ctx():
        central_versions = checks.versions(pid)
        assert central_versions.keys() == field_versions.keys()
        for key, mine in field_versions.items():
            theirs = central_versions[key]
            for what in ("deprecated", "sha", "at", "device", "current", "channel", "review",
                         "files"):
                assert theirs[what] == mine[what], (key, what)
        assert len(work.versions) == 45
        comments = db.session.scalars(select(Comment)).all()
        assert len(comments) == work.comments
        link = db.session.scalar(select(SyncLink))
        # The central server's checkpoint: the office's last batch it applied, whole.
        assert link.received == 45 and link.cursor == newest
    with field.ctx():
        second = run_peer(peer_id, OPTIONS, Limits())
        assert second.complete
        assert (second.pushed.stored, second.pushed.duplicates, second.pushed.files_uploaded,
                second.pushed.reviews, second.pushed.comments) == (0, 0, 0, 0, 0)


def test_a_conflict_is_kept_on_both_sides_and_closed_at_the_office_once_resolved(central,
                                                                                 field):
    from sync.ingest import ingest
    from tests.openrosa.fixtures import site_instance

    pid, token = _central_project(central)
    peer_id, local = _pair(field, central, pid, token)
    with central.ctx():
        ingest(project_id=pid, xml=site_instance("uuid:both", site="Central"), attachments={},
               channel="collect", submitter_id=None, device_id=None)
    with field.ctx():
        assert run_peer(peer_id, OPTIONS, Limits()).error is None
        ingest(project_id=local, xml=site_instance("uuid:both", site="Office"), attachments={},
               channel="collect", submitter_id=None, device_id=None)
        report = run_peer(peer_id, OPTIONS, Limits())
        assert report.complete and report.pushed.conflicts == 1
        mine = db.session.scalar(select(SyncConflict))
        assert mine.scope == f"peer:{peer_id}" and "Central" in mine.other_xml
        assert mine.resolved_at is None
    with central.ctx():
        theirs = db.session.scalar(select(SyncConflict))
        assert "Office" in theirs.other_xml and theirs.resolved_at is None
        from sync import conflicts

        conflicts.resolve(theirs, "field", None)
    with field.ctx():
        assert run_peer(peer_id, OPTIONS, Limits()).resolved == 1
        mine = db.session.scalar(select(SyncConflict))
        assert mine.resolution == "field" and mine.resolved_at is not None
    with central.ctx():
        current = db.session.scalar(select(SubmissionDef.xml).where(
            SubmissionDef.current.is_(True)))
        assert "Office" in current

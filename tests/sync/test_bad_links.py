"""Made for bad links, and harmless when runs overlap. Two live servers (a field office on
SQLite, a central server on PostgreSQL) with the fault-injecting proxy between them:

- a link at 100 kbit/s with 500 ms latency each way and connections cut still converges,
  exactly once;
- a file of several MB cut mid-upload resumes from the last confirmed part, not from zero;
- two `flask sync run` processes at once (cron overlap) do no harm: one syncs, the other
  finds the peer taken and does nothing.
"""
from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import func, select

from app.extensions import db
from app.models import AppUser, Submission, SyncPeer
from app.services import accounts
from app.services import submissions as submission_service
from app.services.projects import create_project
from app.sync import peers
from app.sync.run import run_peer
from sync import remote as remote_module
from sync.ingest import ingest
from sync.push import Limits
from sync.wire import WireOptions
from tests.openrosa.fixtures import SITE_XFORM, jpeg, publish_xform, site_instance
from tests.sync import checks
from tests.sync.faultproxy import FaultProxy
from tests.sync.live import flask_process, new_link

KBIT100 = 100_000 / 8  # bytes per second
OPTIONS = WireOptions(backoff=0.05, backoff_max=1.0, retries=12, read_timeout=60)


def _central(central) -> tuple[int, str]:
    with central.ctx():
        pid = create_project("Turkana CSO").id
        db.session.commit()
        publish_xform(pid, SITE_XFORM.replace("{version}", "1"))
        return pid, new_link(pid)


@contextmanager
def _paired(central, field, seed: int) -> Iterator[tuple[int, FaultProxy, int, int]]:
    """A project on the central server, a fault proxy (`seed`) in front of it, and the field
    server paired through the proxy with the forms brought down while the link is clean;
    -> (central project, proxy, peer id, local project). The proxy closes after."""
    pid, token = _central(central)
    proxy = FaultProxy(int(central.url.rsplit(":", 1)[1]), seed=seed)
    try:
        with field.ctx():
            peer, _ = peers.pair(f"{proxy.url}/v1/projects/{pid}", token, options=OPTIONS)
            peer_id, local = peer.id, peer.project_id
            assert run_peer(peer_id, OPTIONS, Limits()).complete
        yield pid, proxy, peer_id, local
    finally:
        proxy.close()


def _converge(field, peer_id: int, limits: Limits, runs: int = 10):
    reports = []
    with field.ctx():
        for _ in range(runs):
            reports.append(run_peer(peer_id, OPTIONS, limits))
            if reports[-1].complete:
                return reports
    raise AssertionError(f"no convergence in {runs} runs: {[r.error for r in reports]}")


def _same_on_both(central, field, pid: int, local: int) -> dict:
    with field.ctx():
        office = checks.versions(local)
    with central.ctx():
        there = checks.versions(pid)
    assert there.keys() == office.keys()
    for key, mine in office.items():
        for what in ("deprecated", "sha", "at", "device", "current", "channel", "review",
                     "files"):
            assert there[key][what] == mine[what], (key, what)
    return there


def test_a_100kbit_500ms_link_that_cuts_connections_still_converges(central, field):
    with _paired(central, field, seed=5) as (pid, proxy, peer_id, local):
        with field.ctx():
            head = accounts.create_user("head@example.org", None, display_name="Office head")
            db.session.commit()
            channels = ("collect", "sms", "ussd")
            for n in range(24):
                ingest(project_id=local, xml=site_instance(f"uuid:bad-{n}", site=f"Site {n}"),
                       attachments={}, channel=channels[n % 3], submitter_id=None,
                       device_id=f"collect:{n % 4}" if n % 3 == 0 else None)
            photo = jpeg(90_000, seed=11)
            ingest(project_id=local, xml=site_instance("uuid:bad-photo", photo="p.jpg"),
                   attachments={"p.jpg": photo}, channel="collect", submitter_id=None,
                   device_id="collect:9")
            ingest(project_id=local, xml=site_instance("uuid:bad-0e", site="Edited",
                                                       deprecated_id="uuid:bad-0"),
                   attachments={}, channel="collect", submitter_id=None, device_id=None)
            from app.models import Form

            form = db.session.scalar(select(Form).where(Form.project_id == local))
            submission = submission_service.get_submission(form, "uuid:bad-photo")
            submission_service.set_review_state(form, submission, "approved", head.actor_id)
            submission_service.add_comment(submission, head.actor_id, "Checked")
            db.session.commit()
        # The bad line: 100 kbit/s each way, 500 ms each way, and cuts falling at
        # random on the byte stream (one per 15 KB of a connection: several, here, harsher
        # than the 5% of connections).
        proxy.bandwidth, proxy.latency = KBIT100, 0.5
        proxy.cut_every, proxy.max_cuts = 15_000, 6
        proxy.reset_stats()
        began = time.monotonic()
        reports = _converge(field, peer_id, Limits(chunk_bytes=32 * 1024))
        took = time.monotonic() - began
        stats = proxy.reset_stats()
        print(f"bad link: {len(reports)} run(s) in {took:.0f} s, {stats}")
        assert stats.cuts >= 2, stats  # the link did cut, and the sync got through anyway
        pushed = [r.pushed for r in reports]
        assert sum(p.stored for p in pushed) == 26
        assert sum(p.reviews for p in pushed) == 1 and sum(p.comments for p in pushed) == 1
        there = _same_on_both(central, field, pid, local)
        assert len(there) == 26
        assert there[("site_photos", "uuid:bad-photo")]["files"] == {
            "p.jpg": hashlib.sha256(photo).hexdigest()}
        with central.ctx():
            assert db.session.scalar(select(func.count(Submission.id))) == 25
        with field.ctx():
            again = run_peer(peer_id, OPTIONS, Limits())
        assert again.complete and (again.pushed.stored, again.pushed.files_uploaded,
                                   again.pushed.duplicates) == (0, 0, 0)


def test_a_several_mb_file_cut_mid_upload_resumes_from_the_last_confirmed_part(
        central, field, monkeypatch):
    with _paired(central, field, seed=2) as (pid, proxy, peer_id, local):
        size, chunk = 4_000_000, 512 * 1024
        photo = jpeg(size, seed=21)
        with field.ctx():
            ingest(project_id=local, xml=site_instance("uuid:big", photo="big.jpg"),
                   attachments={"big.jpg": photo}, channel="collect", submitter_id=None,
                   device_id="collect:1")
        offsets: list[int] = []
        original = remote_module.Remote.upload_chunk

        def recorded(self, sha256, total, offset, data, timeout=None):
            offsets.append(offset)
            return original(self, sha256, total, offset, data, timeout)

        monkeypatch.setattr(remote_module.Remote, "upload_chunk", recorded)
        proxy.reset_stats()
        proxy.cut_at_bytes(2_700_000)  # the line drops in the sixth chunk
        reports = _converge(field, peer_id, Limits(chunk_bytes=chunk, max_chunk_bytes=chunk))
        stats = proxy.reset_stats()
        assert stats.cuts == 1, stats
        # Every chunk starts after the one before it: after the cut the upload went on from
        # what the server had confirmed, never from byte 0.
        assert offsets == sorted(set(offsets)) and offsets[0] == 0, offsets
        assert offsets[-1] + chunk >= size, offsets
        # On the wire: the file once, plus at most the part of one chunk that was cut.
        assert stats.bytes_up < size + chunk + 64 * 1024, stats
        assert sum(r.pushed.files_uploaded for r in reports) == 1
        there = _same_on_both(central, field, pid, local)
        assert there[("site_photos", "uuid:big")]["files"] == {
            "big.jpg": hashlib.sha256(photo).hexdigest()}


def test_two_sync_runs_at_once_do_no_harm(central, field):
    with _paired(central, field, seed=3) as (pid, proxy, peer_id, local):
        with field.ctx():
            for n in range(20):
                ingest(project_id=local, xml=site_instance(f"uuid:cron-{n}"), attachments={},
                       channel="sms", submitter_id=None, device_id=None)
        # A slow line and small batches: the first run is still going (ten batches of two,
        # a second's round trip each) when cron starts the next one.
        proxy.latency = 0.5
        first = flask_process(field, "sync", "run", SYNC_BATCH_ITEMS="2")
        with field.ctx():
            for _ in range(300):  # until the first run holds the peer
                db.session.expire_all()
                if db.session.get(SyncPeer, peer_id).lock_owner is not None:
                    break
                time.sleep(0.1)
            else:
                raise AssertionError(f"the first run never started: {first.communicate()}")
            db.session.rollback()
        second = flask_process(field, "sync", "run")
        second_out, _ = second.communicate(timeout=120)
        first_out, _ = first.communicate(timeout=300)
        assert first.returncode == 0, first_out
        assert "submissions stored 20" in first_out
        assert second.returncode == 1 and "another sync run" in second_out, second_out
        with central.ctx():
            assert db.session.scalar(select(func.count(Submission.id))) == 20
        _same_on_both(central, field, pid, local)
        proxy.latency = 0.0
        third = flask_process(field, "sync", "run")  # and the next cron run finds nothing to send
        out, _ = third.communicate(timeout=120)
        assert third.returncode == 0 and "submissions stored 0" in out, out
        with field.ctx():
            peer = db.session.get(SyncPeer, peer_id)
            assert peer.lock_owner is None and peer.last_error is None


def test_a_batch_and_a_chunk_sent_again_while_the_first_is_in_flight_store_nothing_twice(
        central):
    """What a read timeout does on a slow line: the office sends a request again while the
    server is still working on the first copy. Four copies of a batch, and of an upload, at
    once: each version stored once (the others say duplicate), the file staged once."""
    import threading

    import requests

    from app.models import SubmissionDef

    pid, token = _central(central)
    auth = {"Authorization": f"Bearer {token}"}
    items = [{"kind": "submission", "key": n, "xmlFormId": "site_photos",
              "xml": site_instance(f"uuid:twice-{n}", site=f"Site {n}").decode(),
              "channel": "sms", "receivedAt": f"2026-11-03T08:{n % 60:02d}:00Z"}
             for n in range(30)]
    items.append({"kind": "submission", "key": 30, "xmlFormId": "site_photos",
                  "xml": site_instance("uuid:twice-0e", site="Edited",
                                       deprecated_id="uuid:twice-0").decode()})
    photo = jpeg(300_000, seed=8)
    sha = hashlib.sha256(photo).hexdigest()
    barrier = threading.Barrier(8)
    answers: dict[str, list] = {"batch": [], "chunk": []}

    def send_batch() -> None:
        barrier.wait()
        answers["batch"].append(requests.post(
            f"{central.url}/v1/projects/{pid}/sync/batches", headers=auth, timeout=120,
            json={"cursor": 31, "items": items}))

    def send_chunk() -> None:
        barrier.wait()
        answers["chunk"].append(requests.put(
            f"{central.url}/v1/projects/{pid}/sync/uploads/{sha}", data=photo, timeout=120,
            headers={**auth, "Content-Range": f"bytes 0-{len(photo) - 1}/{len(photo)}"}))

    threads = [threading.Thread(target=send_batch) for _ in range(4)] + \
        [threading.Thread(target=send_chunk) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert [r.status_code for r in answers["batch"]] == [200] * 4
    stored: dict[int, list[str]] = {}
    for response in answers["batch"]:
        for result in response.json()["results"]:
            stored.setdefault(result["key"], []).append(result["status"])
    for key, statuses in stored.items():
        assert sorted(statuses) == sorted(
            ["edited" if key == 30 else "created"] + ["duplicate"] * 3), (key, statuses)
    # A chunk either lands (200) or is told where the staged bytes end (409): never a 5xx.
    assert {r.status_code for r in answers["chunk"]} <= {200, 409}
    status = requests.get(f"{central.url}/v1/projects/{pid}/sync/uploads/{sha}",
                          params={"size": len(photo)}, headers=auth, timeout=10).json()
    assert status["complete"] is True and status["received"] == len(photo)
    with central.ctx():
        assert db.session.scalar(select(func.count(Submission.id))) == 30
        assert db.session.scalar(select(func.count(SubmissionDef.id))) == 31
        from app.services.storage import storage_root

        staged = list((Path(storage_root()) / "sync-uploads").rglob(sha))
        assert [p.read_bytes() == photo for p in staged] == [True]


def test_the_office_takes_collect_submissions_while_a_sync_crawls_over_a_slow_line(
        central, field):
    """A sync run waiting on the line must not hold the office's database: on SQLite one
    open write transaction blocks every other writer, so a run that downloaded a form's media
    or uploaded a photo inside one would leave the office's phones waiting (then failing)
    for as long as the line takes."""
    import threading

    from app.services import app_users
    from app.services import forms as form_service
    from tests.openrosa.collect_client import CollectClient

    with _paired(central, field, seed=4) as (pid, proxy, peer_id, local):
        with field.ctx():
            _, tablet = app_users.create_app_user(local, "Office tablet", None)
            form = form_service.get_form(local, "site_photos")
            app_users.assign_form(form, db.session.scalar(select(AppUser.actor_id)),
                                  "app-user")
            db.session.commit()
            for n in range(6):
                files = {"p.jpg": jpeg(700_000, seed=n)} if n == 3 else {}
                ingest(project_id=local, xml=site_instance(
                    f"uuid:slow-{n}", photo="p.jpg" if files else None), attachments=files,
                    channel="collect", submitter_id=None, device_id=None)
        with central.ctx():  # a new version whose new media file is big
            publish_xform(pid, SITE_XFORM.replace("{version}", "2"))
            current = form_service.get_form(pid, "site_photos").current_version
            form_service.set_attachment(current, "logo.png", jpeg(700_000, seed=99),
                                        "image/png")
            db.session.commit()
        proxy.bandwidth = 70_000  # bytes/s: each big file takes ~10 s to cross
        collect = CollectClient(f"{field.url}/v1/key/{tablet}/projects/{local}")
        waits: list[float] = []

        def submit_when(moved: Callable[[], bool], name: str) -> None:
            for _ in range(600):
                if moved():
                    break
                time.sleep(0.05)
            began = time.monotonic()
            answer = collect.submit(site_instance(name), {})[-1]
            waits.append(time.monotonic() - began)
            assert answer.status_code == 201, answer.text

        def sync() -> None:
            with field.ctx():
                reports.append(run_peer(peer_id, OPTIONS, Limits(chunk_bytes=1024 * 1024)))

        reports: list = []
        proxy.reset_stats()
        runner = threading.Thread(target=sync)
        runner.start()
        # While the new form version's media comes down...
        submit_when(lambda: proxy.stats.bytes_down > 200_000, "uuid:during-pull")
        # ...and while the photo goes up.
        submit_when(lambda: proxy.stats.bytes_up > 200_000, "uuid:during-push")
        runner.join(timeout=300)
        assert reports and reports[0].error is None, reports
        assert max(waits) < 5, waits  # not the time the line takes

"""Field-office sync figures. One command, prints them with the load average:

    TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \
    REDIS_URL=redis://127.0.0.1:6379/14 .venv/bin/python bench/sync.py
    .venv/bin/python bench/sync.py --quick          # small sizes, a couple of minutes

The central server is gunicorn (gunicorn.conf.py) on a fresh PostgreSQL database, its
pipeline queued to Redis (no worker runs: the figures are the sync's; without REDIS_URL the
pipeline runs inline, in each ingest); the field office is this process on SQLite, with the
production settings of a sync run (SYNC_* defaults). All traffic goes through
tests/sync/faultproxy.py on loopback, which counts the bytes on the wire both ways (HTTP
headers included) and, for the bad-link profile, limits bandwidth, adds latency and cuts
connections. Printed:

1. submissions/s synced over loopback (N shared-form submissions, no files), and the CPU
   each submission cost the central server, its PostgreSQL and the field office (what the
   machine's load does not inflate);
2. bytes on the wire per submission, beside its raw XML, and per MB of photos;
3. time for 1,000 submissions over 100 kbit/s each way, 500 ms latency each way (1 s round
   trip) and cuts falling at random on the bytes, as often as cuts 5% of requests of the
   mean size measured in 1 (--slow-runs times, the cuts counted over them all);
4. time to resume after a cut: from the cut to the first confirmed chunk after it.
"""
from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import _common as common  # noqa: E402

KBIT100 = 100_000 / 8  # bytes per second


class Field:
    """The field office: an app on SQLite in this process, paired through a proxy."""

    def __init__(self, directory: str):
        from app import create_app, migrate

        url = f"sqlite:///{directory}/field.sqlite3"
        migrate.upgrade(url)
        self.app = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": None,
                               "STORAGE_DIR": f"{directory}/storage", "ODK_VALIDATE": False,
                               "SECRET_KEY": "bench-field"})
        self.peer_id = self.project_id = 0
        self.forms: dict = {}
        self.prefix = 0

    def pair(self, proxy_url: str, remote_pid: int, token: str) -> None:
        from sqlalchemy import select

        from app.extensions import db
        from app.models import Form
        from app.sync import jobs, peers

        with self.app.app_context():
            peer, _ = peers.pair(f"{proxy_url}/v1/projects/{remote_pid}", token,
                                 options=jobs.wire_options())
            self.peer_id, self.project_id = peer.id, peer.project_id
            self.run()
            self.forms = {f.xml_form_id: f.id for f in db.session.scalars(
                select(Form).where(Form.project_id == self.project_id))}

    def fill(self, submissions: int, photos: int = 0, photo_bytes: int = 1_000_000) -> int:
        """Store submissions (and photos); returns their raw bytes (XML, or photos)."""
        from sqlalchemy import func, select

        from app.extensions import db
        from app.models import Form, SubmissionDef
        from tests.sync.workload import populate

        self.prefix += 1
        with self.app.app_context():
            before = db.session.scalar(select(func.max(SubmissionDef.id))) or 0
            forms = {name: db.session.get(Form, fid) for name, fid in self.forms.items()
                     if not photos or name == "escuela"}
            populate(self.project_id, forms, submissions=submissions or photos,
                     with_photos=photos,
                     photo_bytes=(photo_bytes, photo_bytes), edits=0,
                     prefix=f"b{self.prefix}")
            if photos:
                return photos * photo_bytes
            return db.session.scalar(select(func.sum(func.length(SubmissionDef.xml))).where(
                SubmissionDef.id > before))

    def run(self, **config):
        from app.sync import jobs
        from app.sync.run import run_peer

        with self.app.app_context():
            self.app.config.update(config)
            report = run_peer(self.peer_id, jobs.wire_options(), jobs.limits())
            if report.error:
                raise SystemExit(f"sync failed: {report.error}")
            return report


def _central(url: str, storage: str) -> tuple[int, str]:
    from app import create_app
    from app.extensions import db
    from app.services.projects import create_project
    from tests.sync.live import new_link, publish_shared_forms

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "STORAGE_DIR": storage,
                      "REDIS_URL": None, "ODK_VALIDATE": False})
    with app.app_context():
        pid = create_project("Bench central").id
        db.session.commit()
        publish_shared_forms(pid)
        token = new_link(pid)
        db.engine.dispose()
    return pid, token


def _push(field: Field, proxy, **config) -> tuple[float, object, object]:
    proxy.reset_stats()
    began = time.perf_counter()
    report = field.run(**config)
    return time.perf_counter() - began, report, proxy.reset_stats()


def _resume_after_cut(field: Field, proxy, size: int) -> float:
    """Upload one photo of `size` bytes, cut once about halfway; seconds from the cut to
    the first chunk confirmed after it."""
    from sync import remote as remote_module

    confirmed: list[tuple[float, int]] = []
    original = remote_module.Remote.upload_chunk

    def timed(self, sha256, total, offset, data, timeout=None):
        answer = original(self, sha256, total, offset, data, timeout)
        confirmed.append((time.monotonic(), int(answer.get("received") or 0)))
        return answer

    field.fill(0, photos=1, photo_bytes=size)
    proxy.cut_every, proxy.max_cuts = None, None
    proxy.reset_stats()
    proxy.cut_at_bytes(size // 2)
    remote_module.Remote.upload_chunk = timed
    try:
        field.run()
    finally:
        remote_module.Remote.upload_chunk = original
    stats = proxy.reset_stats()
    if not stats.cut_times:
        return float("nan")
    after = [at for at, _ in confirmed if at > stats.cut_times[0]]
    return after[0] - stats.cut_times[0] if after else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="submissions over loopback")
    parser.add_argument("--photos", type=int, default=20, help="1 MB photos over loopback")
    parser.add_argument("--slow-n", type=int, default=1000,
                        help="submissions over the bad-link profile")
    parser.add_argument("--slow-runs", type=int, default=3,
                        help="runs of the bad-link profile (each --slow-n submissions)")
    parser.add_argument("--quick", action="store_true", help="small sizes")
    args = parser.parse_args()
    if args.quick:
        args.n, args.photos, args.slow_n, args.slow_runs = 300, 5, 100, 1

    prefix = f"bench-sync-{os.getpid()}"
    os.environ["PIPELINE_PREFIX"] = prefix  # the central server's pipeline queues, this run's
    pipeline = "queued to Redis" if os.environ.get("REDIS_URL") else "inline"
    print(f"sync bench: central gunicorn {common.gunicorn_label()} on PostgreSQL (pipeline "
          f"{pipeline}), field office SQLite in-process; {common.load()}")
    try:
        _figures(args)
    finally:
        common.drop_redis_keys(prefix)
    print(common.load())


def _figures(args) -> None:
    from tests.sync.faultproxy import FaultProxy

    with common.temp_database() as (url, storage), tempfile.TemporaryDirectory() as directory:
        pid, token = _central(url, storage)
        masters: list[int] = []
        with common.gunicorn(url, storage, "/health", on_start=masters.append) as port:
            proxy = FaultProxy(port)
            field = Field(directory)
            field.pair(proxy.url, pid, token)

            raw = field.fill(args.n)
            # CPU per submission, which the machine's load does not inflate as it does time:
            # the central server (gunicorn's processes), its PostgreSQL backends, and this
            # process (the field office's sync, and the proxy's threads).
            web = [masters[0], *common.children(masters[0])]
            pg = common.backends(url)
            cpu = (common.cpu_seconds(web), common.cpu_seconds(pg), time.process_time())
            requests_made = _count_requests()
            seconds, report, stats = _push(field, proxy)
            mean_request = stats.bytes / max(requests_made(), 1)
            pg = sorted(set(pg) | set(common.backends(url)))
            used = [(after - before) / args.n * 1000 for before, after in zip(
                cpu, (common.cpu_seconds(web), common.cpu_seconds(pg), time.process_time()),
                strict=True)]
            assert report.pushed.stored == args.n, report.pushed
            print(f"1. loopback: {args.n} submissions in {seconds:.1f} s = "
                  f"{args.n / seconds:.0f} submissions/s ({common.load()}); CPU per "
                  f"submission: central server {used[0]:.1f} ms, its PostgreSQL {used[1]:.1f} "
                  f"ms, field office (and proxy) {used[2]:.1f} ms")
            print(f"2. wire: {stats.bytes / args.n:.0f} bytes per submission (up "
                  f"{stats.bytes_up / args.n:.0f}, down {stats.bytes_down / args.n:.0f}) for "
                  f"{raw / args.n:.0f} bytes of raw XML: {stats.bytes / raw:.2f}x")

            raw = field.fill(0, photos=args.photos)
            seconds, report, stats = _push(field, proxy)
            mb = raw / 1e6
            print(f"   photos: {args.photos} x 1 MB in {seconds:.1f} s; "
                  f"{stats.bytes / mb / 1e6:.3f} MB on the wire per MB of photos (up "
                  f"{stats.bytes_up / raw:.4f}x)")

            loopback_resume = _resume_after_cut(field, proxy, 5_000_000)

            # The bad-link profile. Cuts: a Poisson process over the bytes whose mean makes a
            # request of the mean size measured above be cut 5% of the time:
            # 1 - exp(-size / mean) = 0.05.
            proxy.bandwidth, proxy.latency = KBIT100, 0.5
            proxy.cut_every, proxy.max_cuts = mean_request / -math.log(0.95), None
            totals = {"requests": 0, "cuts": 0}
            for run in range(1, args.slow_runs + 1):
                field.fill(args.slow_n)
                requests_made = _count_requests()
                seconds, report, stats = _push(field, proxy)
                made = requests_made()
                # A batch whose answer a cut lost is sent again: its versions are then found
                # there already (duplicates), never stored twice.
                pushed = report.pushed
                assert pushed.stored + pushed.duplicates == args.slow_n, pushed
                totals["requests"] += made
                totals["cuts"] += stats.cuts
                print(f"3.{run} 100 kbit/s, 500 ms each way, cuts: {args.slow_n} submissions "
                      f"in {seconds:.0f} s ({args.slow_n / seconds:.1f}/s); {made} requests, "
                      f"{stats.cuts} cut; {pushed.duplicates} versions sent again after a "
                      f"lost answer, found there, not stored twice; "
                      f"{stats.bytes / args.slow_n:.0f} bytes per submission ({common.load()})")
            share = 100 * totals["cuts"] / max(totals["requests"], 1)
            print(f"    cuts over the {args.slow_runs} runs: {totals['cuts']} of "
                  f"{totals['requests']} requests ({share:.1f}%; "
                  f"mean request {mean_request:.0f} bytes, a cut every {proxy.cut_every:.0f} "
                  f"bytes on average)")
            slow_resume = _resume_after_cut(field, proxy, 200_000)
            print(f"4. resume after a cut: {loopback_resume:.2f} s on loopback (5 MB photo), "
                  f"{slow_resume:.1f} s on the bad link (200 KB photo; back-off, a new "
                  f"connection, the upload's status, then the next chunk)")
            proxy.close()
        total = _central_count(url)
        expected = args.n + args.photos + 1 + args.slow_n * args.slow_runs + 1
        print(f"   exactly once: the central server holds {total} submissions, the office "
              f"made {expected}")
        assert total == expected


def _central_count(url: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM submissions")).scalar()
    engine.dispose()
    return count


def _count_requests():
    """Count HTTP requests (attempts, retries included) the sync makes from now on."""
    import requests

    counter = {"n": 0}
    original = requests.Session.request

    def counting(self, *args, **kwargs):
        counter["n"] += 1
        return original(self, *args, **kwargs)

    requests.Session.request = counting

    def done() -> int:
        requests.Session.request = original
        return counter["n"]

    return done


if __name__ == "__main__":
    main()

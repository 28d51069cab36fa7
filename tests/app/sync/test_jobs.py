"""The worker's sync: enqueued at most once per SYNC_EVERY_SECONDS, run by a real RQ worker
on a real Redis, it syncs every paired central server."""
from __future__ import annotations

import uuid

from redis import Redis
from rq import Queue, SimpleWorker
from sqlalchemy import func, select

from app.extensions import db
from app.models import Submission
from app.services import projects
from app.sync import jobs, peers
from sync.ingest import ingest
from tests.openrosa.fixtures import SITE_XFORM, publish_xform, site_instance
from tests.sync.live import new_link


def test_the_worker_syncs_every_paired_server_once_per_interval(central, field, redis_url):
    with central.ctx():
        pid = projects.create_project("Central").id
        db.session.commit()
        publish_xform(pid, SITE_XFORM.replace("{version}", "1"))
        token = new_link(pid)
    prefix = f"test-sync-{uuid.uuid4().hex[:8]}"
    connection = Redis.from_url(redis_url)
    queue = Queue(f"{prefix}-sync", connection=connection)
    try:
        with field.ctx():
            assert jobs.schedule_due(queue) is False  # nothing paired: nothing to do
            peer, _ = peers.pair(f"{central.url}/v1/projects/{pid}", token,
                                 options=jobs.wire_options())
            assert jobs.run_all()[0].complete  # the forms come down
            for n in range(3):
                ingest(project_id=peer.project_id, xml=site_instance(f"uuid:j{n}"),
                       attachments={}, channel="ussd", submitter_id=None, device_id=None)
            field.app.config["SYNC_EVERY_SECONDS"] = 300
            assert jobs.schedule_due(queue) is True
            assert jobs.schedule_due(queue) is False  # once per interval, across workers
            assert queue.count == 1
            SimpleWorker([queue], connection=connection).work(burst=True)
            job = queue.fetch_job(queue.get_job_ids()[0]) if queue.count else None
            assert job is None
            field.app.config["SYNC_EVERY_SECONDS"] = 0
            connection.delete(f"{queue.name}:sync-due")
            assert jobs.schedule_due(queue) is False  # 0 turns it off
        with central.ctx():
            assert db.session.scalar(select(func.count(Submission.id))) == 3
            channels = set(db.session.scalars(select(Submission.channel)))
            assert channels == {"ussd"}
    finally:
        for key in connection.scan_iter(match=f"*{prefix}*"):
            connection.delete(key)

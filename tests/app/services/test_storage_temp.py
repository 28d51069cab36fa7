"""Half-written blobs a killed writer left behind are removed: by the workers at start and hourly
(and by the production server at start-up: tests/app/serving/test_slow_clients.py)."""
from __future__ import annotations

import os
import time
from pathlib import Path

from app import queues
from app.services.storage import remove_stale_temp_files, write_file
from app.worker import InProcessWorker


def _plant(root: Path, name: str, age: float) -> Path:
    path = root / "blobs" / "ab" / "cd" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"half a photo")
    then = time.time() - age
    os.utime(path, (then, then))
    return path


def test_only_stale_temporary_files_go_and_stored_blobs_stay(app, tmp_path):
    root = Path(app.config["STORAGE_DIR"])
    sha256, _ = write_file(b"a whole photo")
    stale, fresh = _plant(root, ".tmp-killed", 3600), _plant(root, ".tmp-writing", 5)
    assert remove_stale_temp_files() == 1
    assert not stale.exists() and fresh.exists()
    assert (root / "blobs" / sha256[:2] / sha256).read_bytes() == b"a whole photo"


def test_a_starting_worker_sweeps_once_an_hour_across_workers(app, redis_url):
    import uuid

    app.config.update(REDIS_URL=redis_url, QUEUE_PREFIX=f"t{uuid.uuid4().hex[:12]}")
    root = Path(app.config["STORAGE_DIR"])
    first = _plant(root, ".tmp-first", 3600)
    worker = InProcessWorker(queues.worker_queues(), connection=queues.connection())
    try:
        worker.work(burst=True)
        assert not first.exists()
        second = _plant(root, ".tmp-second", 3600)
        InProcessWorker(queues.worker_queues(), connection=queues.connection()).work(burst=True)
        assert second.exists()  # another worker swept within the hour
    finally:
        conn = queues.connection()
        for key in conn.scan_iter(f"*{app.config['QUEUE_PREFIX']}*"):
            conn.delete(key)

"""A pipeline worker whose jobs stall after starting: the SIGKILL test kills it mid-job.

Run as: python -m tests.pipeline.slow_worker DATABASE_URL REDIS_URL PREFIX MARKER_FILE
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

from app import create_app, queues
from app.pipeline import batch, tagging
from app.worker import InProcessWorker
from tests.pipeline.conftest import FakeClassifier


def main(database_url: str, redis_url: str, prefix: str, marker: str) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "REDIS_URL": redis_url,
                      "QUEUE_PREFIX": prefix, "SECRET_KEY": "test-secret",
                      "PHONE_HASH_KEY": "test-phone-key", "STORAGE_DIR": str(Path(marker).parent)})
    tagging.set_classifier(FakeClassifier())
    compute = batch._compute

    def stalling(sub_def, ctx):
        Path(marker).write_text("started")
        time.sleep(120)
        return compute(sub_def, ctx)

    batch._compute = stalling
    with app.app_context():
        InProcessWorker(queues.worker_queues(), connection=queues.connection()).work(burst=True)


if __name__ == "__main__":
    main(*sys.argv[1:5])

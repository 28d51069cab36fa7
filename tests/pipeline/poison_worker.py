"""A real pipeline worker process (burst) for the poison tests: a version whose XML says
KILL-THE-WORKER kills its worker as the kernel's OOM killer would (SIGKILL), mid-batch.

Run as: python -m tests.pipeline.poison_worker DATABASE_URL REDIS_URL PREFIX [HOURS]
(HOURS: RQ's registries see a clock that many hours ahead, so a dead worker's jobs count as
abandoned at once instead of after their heartbeat lapses; each later run needs more.)
"""
from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

from app import create_app, queues
from app.pipeline import batch, tagging
from app.worker import InProcessWorker, cap_memory
from tests.pipeline.conftest import FakeClassifier

POISON = b"KILL-THE-WORKER"


def main(database_url: str, redis_url: str, prefix: str, clock: str = "") -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "REDIS_URL": redis_url,
                      "QUEUE_PREFIX": prefix, "SECRET_KEY": "test-secret",
                      "PHONE_HASH_KEY": "test-phone-key", "PIPELINE_RETRY_INTERVALS": [0],
                      "STORAGE_DIR": os.environ.get("STORAGE_DIR", "/tmp/dsc-poison")})
    tagging.set_classifier(FakeClassifier())
    compute = batch._compute

    def lethal(sub_def, ctx):
        if POISON in (sub_def.xml if isinstance(sub_def.xml, bytes) else sub_def.xml.encode()):
            os.kill(os.getpid(), signal.SIGKILL)
        return compute(sub_def, ctx)

    batch._compute = lethal
    if clock:
        import rq.registry

        rq.registry.current_timestamp = lambda: time.time() + 3600 * int(clock)
    with app.app_context():
        cap_memory()  # as `flask worker` does
        InProcessWorker(queues.worker_queues(), connection=queues.connection()).work(burst=True)
    if os.environ.get("PEAK_RSS_FILE"):  # bench/poison.py: this process's own high-water mark
        status = Path("/proc/self/status").read_text()
        peak = next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM"))
        Path(os.environ["PEAK_RSS_FILE"]).write_text(peak)
    if os.environ.get("MEMORY_CAP_FILE"):  # the address-space cap it ran under, in bytes
        import resource

        Path(os.environ["MEMORY_CAP_FILE"]).write_text(
            str(resource.getrlimit(resource.RLIMIT_AS)[0]))


if __name__ == "__main__":
    main(*sys.argv[1:5])

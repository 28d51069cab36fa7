"""Production settings for `gunicorn wsgi:app` (override any of them with GUNICORN_* env or -c).

One process per core, each with a few threads (gthread). A request spends much of its time
waiting (PostgreSQL round trips and COMMIT, the fsync of each attachment file), and threads fill
those waits without more processes competing for the cores PostgreSQL also needs; gthread also
keeps Collect's connections alive between POSTs (sync workers close each one).
"""
import gc
import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", max(2, multiprocessing.cpu_count())))
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
# gthread, except that the event loop reads each request whole before a thread serves it, so
# slow clients (a header line or a body byte every few seconds) cannot hold the threads:
# REQUEST_TIMEOUT and UPLOAD_MIN_RATE bound them (app/serving/worker.py).
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "app.serving.worker.BufferingWorker")
# Connections per worker held at once (slow ones included) before it stops accepting.
worker_connections = int(os.environ.get("GUNICORN_WORKER_CONNECTIONS", "1000"))
# The worker's heartbeat; requests are bounded by REQUEST_TIMEOUT, not by this.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then to bound any slow leak.
max_requests = 5000
max_requests_jitter = 500
accesslog = "-"
# App-user and session tokens travel in URLs (/v1/key/<token>/...): never write them to the log.
logger_class = "app.serving.access_log.RedactingLogger"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# The app is imported once, in the master, and the workers fork from it: the ~90 MB of modules
# it loads are shared copy-on-write instead of loaded again by every worker. Importing opens no
# database or Redis connection (pools start empty); post_fork drops whatever a worker inherits.
preload_app = True


def pre_fork(server, worker) -> None:
    """Freeze what the master loaded before each fork: the workers' garbage collector then
    never walks (and writes to) those objects, so their pages stay shared instead of being
    copied into every worker at its first full collection."""
    gc.freeze()


def post_fork(server, worker) -> None:
    """A worker starts with empty pools: connections are never shared across a fork."""
    if not server.cfg.preload_app:
        return
    from app.extensions import db

    with server.app.wsgi().app_context():
        db.engine.dispose(close=False)


def on_starting(server) -> None:
    """Before serving: remove half-written files a crashed process left in STORAGE_DIR and,
    with no Redis (the pipeline inline), process what a crashed process committed but did not
    get to (with Redis, `flask worker`'s sweep finds those rows)."""
    from app.config import from_environment
    from app.services.storage import remove_stale_temp_files

    removed = remove_stale_temp_files(from_environment()["STORAGE_DIR"])
    if removed:
        server.log.info("removed %d stale temporary files from STORAGE_DIR", removed)
    if not server.cfg.preload_app:
        return
    from app import queues
    from app.extensions import db
    from app.pipeline import dispatch, retry

    done = failed = 0
    with server.app.wsgi().app_context():
        if queues.redis_url() is None:
            done, failed = dispatch.drain_inline(retry.inline_max_attempts())
        db.engine.dispose()
    if done or failed:
        server.log.info("pipeline: processed %d pending submission(s) left by an earlier "
                        "process, %d failed", done, failed)

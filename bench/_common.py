"""What every bench needs once: a fresh database, gunicorn on it, an app user, percentiles,
the load average and per-process CPU and memory from /proc. Loopback only.

A bench imports it after putting the repository root on sys.path:

    ROOT = Path(__file__).resolve().parent.parent
    sys.path.insert(0, str(ROOT))
    from bench._common import temp_database, gunicorn, percentile  # noqa: E402
"""
from __future__ import annotations

import contextlib
import os
import runpy
import secrets
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from http.client import HTTPConnection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def load() -> str:
    """The load average now, as the benches print it beside their figures."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


def percentile(values: list[float], q: float, scale: float = 1.0) -> float:
    """Nearest-rank percentile of `values` (any order) for q in [0, 1], times `scale`
    (1000 turns seconds into milliseconds); 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * scale


def closed_loop(port: int, sequences: Sequence[Sequence[object]], clients: int,
                send: Callable[[HTTPConnection, object], str | None]
                ) -> tuple[float, list[float], list[str]]:
    """Every request from `clients` keep-alive connections to 127.0.0.1:port, each client
    sending its next request as soon as the last is answered; the requests of one sequence go
    in order from one client. `send(conn, request)` makes one request and returns an error
    or None. -> (requests/s, sorted latencies in seconds, errors)."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    cursor = iter(sequences)

    def client() -> None:
        conn = HTTPConnection("127.0.0.1", port, timeout=60)
        mine = []
        while True:
            with lock:
                sequence = next(cursor, None)
            if sequence is None:
                break
            for request in sequence:
                began = time.perf_counter()
                error = send(conn, request)
                mine.append(time.perf_counter() - began)
                if error is not None:
                    with lock:
                        errors.append(error)
        conn.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    count = sum(len(sequence) for sequence in sequences)
    return count / (time.perf_counter() - began), sorted(latencies), errors


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def create_database(prefix: str = "dsc_bench", server: str | None = None,
                    sqlite_dir: str | None = None) -> tuple[str, Callable[[], None]]:
    """(url, drop) of a fresh migrated database on TEST_DATABASE_URL's server (or `server`).
    With `sqlite_dir`, a SQLite file there when no PostgreSQL answers."""
    from sqlalchemy import create_engine, text

    from app import migrate
    from app.config import sqlalchemy_url

    base = sqlalchemy_url(server or os.environ.get("TEST_DATABASE_URL") or DEFAULT_SERVER)
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception:
        admin.dispose()
        if sqlite_dir is None:
            raise
        url = f"sqlite:///{sqlite_dir}/{name}.sqlite3"
        migrate.upgrade(url)
        return url, lambda: None
    url = f"{base.rpartition('/')[0]}/{name}"

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    try:
        migrate.upgrade(url)
    except BaseException:
        drop()
        raise
    return url, drop


@contextlib.contextmanager
def temp_database(prefix: str = "dsc_bench", sqlite_fallback: bool = False
                  ) -> Iterator[tuple[str, str]]:
    """A fresh, migrated database (dropped afterwards) and an empty storage dir."""
    tmp = tempfile.mkdtemp(prefix=f"{prefix}-")
    try:
        url, drop = create_database(prefix, sqlite_dir=tmp if sqlite_fallback else None)
        try:
            yield url, str(Path(tmp) / "storage")
        finally:
            drop()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def is_postgresql(url: str) -> bool:
    return url.startswith("postgresql")


def bench_app(url: str, storage: str, **config):
    """The Flask app on this database for setting a bench up (no Redis, no ODK Validate)."""
    from app import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "STORAGE_DIR": storage,
                       "SECRET_KEY": "bench", "PHONE_HASH_KEY": "bench", "REDIS_URL": None,
                       "ODK_VALIDATE": False, **config})


def app_user(project_id: int, form_ids: list[int] = (), name: str = "bench phone") -> str:
    """An app user of the project assigned these forms (in the app context; not committed);
    returns its token for /v1/key/{token}/..."""
    from app.extensions import db
    from app.models import Actor, AppUser, FormAssignment
    from app.services.accounts import hash_token

    actor = Actor(type="field_key", display_name=name)
    db.session.add(actor)
    db.session.flush()
    token = secrets.token_urlsafe(32)
    db.session.add(AppUser(actor_id=actor.id, project_id=project_id,
                           token_hash=hash_token(token)))
    for form_id in form_ids:
        db.session.add(FormAssignment(actor_id=actor.id, form_id=form_id, role="app-user"))
    return token


def _wait_ready(port: int, ready_path: str | None, process: subprocess.Popen) -> None:
    for _ in range(400):
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with {process.returncode}")
        try:
            if ready_path is None:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return
            probe = HTTPConnection("127.0.0.1", port, timeout=2)
            probe.request("GET", ready_path)
            if probe.getresponse().status < 500:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit("gunicorn did not start")


@contextlib.contextmanager
def gunicorn(url: str, storage: str, ready_path: str | None = None, workers: int | None = None,
             on_start: Callable[[int], None] | None = None, env: dict[str, str] | None = None,
             args: list[str] | None = None, port: int | None = None) -> Iterator[int]:
    """gunicorn with the project's gunicorn.conf.py on this database; yields the port once
    `ready_path` answers below 500 (or the port accepts). `on_start(pid)` is given the
    master's pid; `env` and `args` add to gunicorn's environment and command line."""
    port = port or free_port()
    environ = {**os.environ, "DATABASE_URL": url, "STORAGE_DIR": storage,
               "SECRET_KEY": "bench", "BIND": f"127.0.0.1:{port}",
               "PUBLIC_URL": f"http://127.0.0.1:{port}", **(env or {})}
    if workers:
        environ["WEB_CONCURRENCY"] = str(workers)
    process = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "-c", "gunicorn.conf.py", "--access-logfile",
         "/dev/null", "--error-logfile", "-", "--log-level", "warning", *(args or []),
         "wsgi:app"], cwd=ROOT, env=environ)
    if on_start is not None:
        on_start(process.pid)
    try:
        _wait_ready(port, ready_path, process)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


def gunicorn_label(workers: int | None = None) -> str:
    """Worker class, workers and threads as gunicorn.conf.py sets them for this run."""
    saved = os.environ.get("WEB_CONCURRENCY")
    if workers:
        os.environ["WEB_CONCURRENCY"] = str(workers)
    try:
        conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    finally:
        if saved is None:
            os.environ.pop("WEB_CONCURRENCY", None)
        else:
            os.environ["WEB_CONCURRENCY"] = saved
    label = f"{conf.get('worker_class', 'sync')} x{conf.get('workers', 1)}"
    if conf.get("worker_class") in ("gthread", "app.serving.worker.BufferingWorker"):
        label += f" ({conf.get('threads', 1)} threads each)"
    return label


def drop_redis_keys(prefix: str) -> None:
    """Delete a run's keys (queues, jobs, flags named with `prefix`) from REDIS_URL."""
    url = os.environ.get("REDIS_URL")
    if not url:
        return
    from redis import Redis

    conn = Redis.from_url(url)
    keys = list(conn.scan_iter(match=f"*{prefix}*", count=1000))
    for start in range(0, len(keys), 500):
        conn.delete(*keys[start:start + 500])


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds these processes have used (Linux /proc; 0 elsewhere)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / _TICK


def children(pid: int) -> list[int]:
    """The direct children of a process (gunicorn's workers of its master)."""
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def memory_mb(pid: int) -> tuple[float, float]:
    """(RSS, PSS) of a process in MiB: PSS shares pages a fork shares among its sharers."""
    rss = pss = 0
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Rss:"):
                rss = int(line.split()[1])
            elif line.startswith("Pss:"):
                pss = int(line.split()[1])
    except OSError:
        pass
    return rss / 1024, pss / 1024


def backends(url: str) -> list[int]:
    """PostgreSQL backend pids connected to this database (PostgreSQL on this machine)."""
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        return [r[0] for r in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()")]


def vacuum_analyze(url: str) -> None:
    """VACUUM ANALYZE as autovacuum would (this machine's PostgreSQL runs without it)."""
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"),
                         autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")

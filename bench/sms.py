"""Inbound SMS and USSD under gunicorn on PostgreSQL, with 10,000 open sessions. One command,
prints its figures:

    TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \
    REDIS_URL=redis://127.0.0.1:6379/13 .venv/bin/python bench/sms.py [--quick | --engine-only]
        [--sms 3000 --ussd 200 --concurrency 4,8,16 --workers N --worker-class gthread]

A fresh database is created and dropped. The water_point form (keyword MAJI) is published;
10,000 people each have an open SMS survey. Each SMS is Africa's Talking's real callback
(webhook → dedup → the person's row locked → engine step → reply stored → send enqueued on
Redis, so no provider is called); latency is the webhook's, measured by keep-alive clients.
USSD: sessions of one dial and five answers on a code whose settings open the form.
SMS_ENGINE=module:attribute runs another engine (the default is sms_flows.engine).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import _common as common  # noqa: E402

FORM = ROOT / "tests" / "fixtures" / "forms" / "water_point.xlsx"
KEYS = {"SECRET_KEY": "bench-secret", "PHONE_HASH_KEY": "bench-phone-key"}
ANSWERS = ["1", "yes", "2", "Kisima", "12", "1 2", "no", "3"]


def _phone(i: int) -> str:
    return f"+2547{10000000 + i:08d}"


def _setup(url: str, storage: str, sessions: int) -> tuple[str, str]:
    """Project, form, an SMS and a USSD channel, and `sessions` open SMS surveys."""
    from sqlalchemy import insert, text

    from app import create_app, crypto
    from app.extensions import db
    from app.messaging import channels, inbound
    from app.models import Contact, Conversation
    from app.services.forms import create_form
    from app.services.projects import create_project
    from forms.xlsform import compile_upload
    from sms_flows.types import InboundMessage

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "STORAGE_DIR": storage,
                      "ODK_VALIDATE": False, "REDIS_URL": None, **KEYS})
    with app.app_context():
        project = create_project("Bench")
        create_form(project.id, compile_upload(
            FORM.read_bytes(), "application/vnd.openxmlformats-officedocument."
            "spreadsheetml.sheet", FORM.name, validate=False, ignore_warnings=True),
            None, publish=True)
        sms = channels.create_channel(project.id, provider="africastalking", kind="sms",
                                      address="21512", credentials={
                                          "username": "bench", "apiKey": "k"}, settings={})
        ussd = channels.create_channel(project.id, provider="africastalking", kind="ussd",
                                       address="*384*1#", credentials={
                                           "username": "bench", "apiKey": "k"},
                                       settings={"form": "water_point"})
        db.session.commit()
        # One real start gives the engine's state; every other person gets a copy.
        first = inbound.receive_sms(sms, InboundMessage(
            sender=_phone(0), recipient="21512", text="MAJI", provider_id="seed-0"),
            simulate=True)
        db.session.commit()
        seed = db.session.query(Conversation).one()
        template = {c: getattr(seed, c) for c in (
            "project_id", "channel_id", "form_id", "form_version_id", "medium", "status",
            "language", "state", "version", "started_at", "last_activity_at")}
        for start in range(1, sessions, 1000):
            batch = range(start, min(sessions, start + 1000))
            rows = [{"project_id": project.id, "phone_hash": crypto.phone_hash(_phone(i)),
                     "phone_encrypted": crypto.encrypt(_phone(i)), "language": seed.language,
                     "created_at": seed.started_at} for i in batch]
            ids = db.session.scalars(insert(Contact).returning(Contact.id), rows).all()
            # Each copy needs its own instanceID, or finished surveys would collide in ingest.
            db.session.execute(insert(Conversation), [
                {**template, "contact_id": cid,
                 "state": {**template["state"], "instance_id": f"uuid:{uuid.uuid4()}"}}
                for cid in ids])
            db.session.commit()
        assert first.replies, "the engine gave no first question"
        db.session.execute(text("ANALYZE"))  # what autovacuum does on a live database
        db.session.commit()
        urls = (channels.webhook_urls(sms)["inbound"], channels.webhook_urls(ussd)["inbound"])
        db.engine.dispose()
    return urls


def _engine_cost(texts: int = 3000, sessions: int = 50) -> str:
    """The engine alone, in this process (no server, no database): CPU per inbound text as
    the app drives it (state loaded from JSON, one step, state back to JSON) over the bench's
    answers, and the SMS parts of the replies. What the wording of the prompts costs shows
    here first; the server figures add the webhook, the database and Redis around it."""
    import json
    from datetime import UTC, datetime, timedelta

    from forms.xlsform import compile_upload
    from sms_flows import engine, render
    from sms_flows.types import StartContext

    compiled = compile_upload(FORM.read_bytes(), "application/vnd.openxmlformats-"
                              "officedocument.spreadsheetml.sheet", FORM.name, validate=False,
                              ignore_warnings=True)
    model = engine.parse_form(compiled.xml)
    now = datetime(2026, 11, 26, 9, tzinfo=UTC)
    states = [json.dumps(engine.start(model, StartContext(medium="sms", text="MAJI",
                                                          phone="hash:x"), now)[0].to_json())
              for _ in range(sessions)]
    parts = replies = 0
    began = time.process_time()
    for n in range(texts):
        now += timedelta(seconds=1)
        i = n % sessions
        state, out = engine.step(engine.load(json.loads(states[i]), model),
                                 ANSWERS[n // sessions % len(ANSWERS)], now)
        if state.status != "active":  # finished or stopped: a new survey, as the app would
            state = engine.start(model, StartContext(medium="sms", text="MAJI",
                                                     phone="hash:x"), now)[0]
        states[i] = json.dumps(state.to_json())
        replies += len(out)
        parts += sum(render.segments(r).count for r in out)
    took = time.process_time() - began
    return (f"engine: {took / texts * 1000:.2f} ms CPU per text (load, step, to_json; in "
            f"process), {replies / texts:.2f} replies and {parts / texts:.2f} SMS parts per "
            f"text ({texts} texts)")


def _run(port: int, sequences: list[list[tuple[str, dict[str, str]]]],
         concurrency: int) -> tuple[float, list[float], list[str]]:
    """POST every request from `concurrency` keep-alive clients; the requests of one sequence
    (the hops of one USSD session) go in order from one client."""

    def send(conn: HTTPConnection, request: object) -> str | None:
        path, form = request  # type: ignore[misc]
        conn.request("POST", path, body=urlencode(form), headers={
            "Content-Type": "application/x-www-form-urlencoded"})
        response = conn.getresponse()
        body = response.read()
        return None if response.status == 200 else f"{response.status} {body[:120]!r}"

    return common.closed_loop(port, sequences, concurrency, send)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--sms", type=int, default=3000, help="inbound texts per concurrency")
    parser.add_argument("--ussd", type=int, default=200,
                        help="USSD sessions (6 hops each) per concurrency")
    parser.add_argument("--concurrency", default="4,8,16",
                        help="comma-separated client counts, each measured in turn")
    parser.add_argument("--workers", type=int, default=None,
                        help="gunicorn workers (default: gunicorn.conf.py's 2 x cores + 1)")
    parser.add_argument("--worker-class", default=None,
                        help="gunicorn worker class (default: gunicorn.conf.py's sync)")
    parser.add_argument("--threads", type=int, default=None, help="threads per gthread worker")
    parser.add_argument("--quick", action="store_true",
                        help="1,000 sessions, 600 texts and 30 USSD sessions at 8 clients")
    parser.add_argument("--engine-only", action="store_true",
                        help="only the engine's CPU per text, in this process")
    args = parser.parse_args()
    print(f"{_engine_cost()}, {common.load()}")
    if args.engine_only:
        return
    if args.quick:
        args.sessions, args.sms, args.ussd, args.concurrency = 1000, 600, 30, "8"
    concurrencies = [int(c) for c in str(args.concurrency).split(",") if c.strip()]

    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        raise SystemExit("REDIS_URL is required: replies are enqueued, never sent, in the bench")
    url, drop = common.create_database("dsc_bench_sms")
    storage = tempfile.mkdtemp(prefix="dsc-bench-sms-")
    port = common.free_port()
    os.environ["PUBLIC_URL"] = f"http://127.0.0.1:{port}"
    prefix = f"bench-sms-{uuid.uuid4().hex[:6]}"
    queue = f"{prefix}-sms"
    extra = []
    if args.worker_class:
        extra += ["--worker-class", args.worker_class]
    if args.threads:
        extra += ["--threads", str(args.threads)]
    master: list[int] = []

    def server_cpu() -> tuple[list[int], float]:
        """CPU seconds used so far by the gunicorn master and workers and by this database's
        PostgreSQL backends: what one message costs the server, whatever the load."""
        pids = [master[0], *common.children(master[0]), *common.backends(url)]
        return pids, common.cpu_seconds(pids)

    def cpu_ms(before: tuple[list[int], float], count: int) -> float:
        pids = sorted(set(before[0]) | set(server_cpu()[0]))
        return (common.cpu_seconds(pids) - before[1]) / max(count, 1) * 1000

    try:
        setup_began = time.perf_counter()
        sms_url, ussd_url = _setup(url, storage, args.sessions)
        print(f"setup: {args.sessions} open sessions in {time.perf_counter() - setup_began:.1f} s")
        env = {**KEYS, "QUEUE_PREFIX": prefix,
               # A throughput bench: one channel takes far more than a campaign's minute.
               "SMS_CHANNEL_PER_MINUTE": "0"}
        with common.gunicorn(url, storage, "/health", args.workers, master.append, env=env,
                      args=extra, port=port):
            workers = args.workers or len(common.children(master[0]))
            print(f"gunicorn: {workers} {args.worker_class or 'gunicorn.conf.py'} workers"
                  + (f" x {args.threads} threads" if args.threads else "")
                  + f", {os.cpu_count()} cores")
            sms_path, ussd_path = urlsplit(sms_url).path, urlsplit(ussd_url).path
            count = args.sms * len(concurrencies) + 50
            texts = [(sms_path, {"linkId": "1", "to": "21512", "date": "2026-11-26 20:00:00",
                                 "id": f"bench-{n}", "from": _phone(1 + n % (args.sessions - 1)),
                                 "text": ANSWERS[n % len(ANSWERS)], "networkCode": "63902"})
                     for n in range(count)]
            _run(port, [[t] for t in texts[:50]], 4)  # warm the workers (imports, form caches)
            for index, clients in enumerate(concurrencies):
                batch = texts[50 + index * args.sms:50 + (index + 1) * args.sms]
                before = server_cpu()
                rate, lat, errors = _run(port, [[t] for t in batch], clients)
                cpu = cpu_ms(before, len(lat))
                if errors:
                    raise SystemExit(f"{len(errors)} failed SMS webhooks, e.g. {errors[:3]}")
                print(f"SMS inbound: {rate:.0f} messages/s, "
                      f"p50 {common.percentile(lat, .5, 1000):.1f} ms, "
                      f"p99 {common.percentile(lat, .99, 1000):.1f} ms ({len(lat)} texts, "
                      f"{clients} clients, {args.sessions} open sessions, "
                      f"server CPU {cpu:.1f} ms/text, {common.load()})", flush=True)
            first_phone = args.sessions
            for clients in concurrencies:
                sessions = []
                for s in range(args.ussd):
                    history: list[str] = []
                    hops = []
                    for step in range(6):
                        hops.append((ussd_path, {
                            "sessionId": f"ATUid_bench_{first_phone + s}",
                            "serviceCode": "*384*1#", "networkCode": "63902",
                            "phoneNumber": _phone(first_phone + s),
                            "text": "*".join(history)}))
                        history.append(ANSWERS[(s + step) % len(ANSWERS)])
                    sessions.append(hops)
                first_phone += args.ussd
                before = server_cpu()
                rate, lat, errors = _run(port, sessions, clients)
                cpu = cpu_ms(before, len(lat))
                if errors:
                    raise SystemExit(f"{len(errors)} failed USSD hops, e.g. {errors[:3]}")
                p50, p99 = (common.percentile(lat, q, 1000) for q in (0.5, 0.99))
                print(f"USSD screens: {rate:.0f} hops/s, p50 {p50:.1f} "
                      f"ms, p99 {p99:.1f} ms ({len(lat)} hops in "
                      f"{args.ussd} sessions, {clients} clients, server CPU {cpu:.1f} ms/hop, "
                      f"{common.load()})", flush=True)
    finally:
        import redis

        client = redis.Redis.from_url(redis_url)
        for job_id in client.lrange(f"rq:queue:{queue}", 0, -1):  # the unsent replies' jobs
            client.delete(b"rq:job:" + job_id)
        for key in client.scan_iter(f"rq:*{queue}*"):
            client.delete(key)
        client.srem("rq:queues", f"rq:queue:{queue}")
        drop()


if __name__ == "__main__":
    main()

"""A real worker process (burst) for the quarantine tests of SMS sends, webhook deliveries and
export jobs: the job of the item named poison kills its worker as the kernel's OOM killer
would (SIGKILL), mid-job.

Run as: python -m tests.app.quarantine_worker DATABASE_URL REDIS_URL PREFIX STORAGE_DIR [HOURS]
with POISON_KIND (sms | sms-at-provider | webhook | export) and POISON (the text of the SMS,
the text in the submission a delivery carries, or the export job's id). HOURS: RQ's registries
see a clock that many hours ahead, so a dead worker's jobs count as abandoned at once (each
later run needs more). The SMS provider's HTTP is the only thing faked (`responses`).
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
AT_SEND_URL = "https://api.africastalking.com/version1/messaging"


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _poison_sms(poison: str, at_provider: bool) -> None:
    import responses

    from app.messaging import outbound

    def answer(request):
        body = request.body.decode() if isinstance(request.body, bytes) else request.body or ""
        if at_provider and poison in body:
            _die()  # the provider has the message: it may have gone
        return 200, {}, json.dumps({"SMSMessageData": {"Recipients": [{
            "statusCode": 101, "number": "+254711000111", "status": "Success",
            "messageId": f"ATXid_{time.monotonic_ns()}"}]}})

    responses.start()
    responses.add_callback(responses.POST, AT_SEND_URL, callback=answer)
    if not at_provider:
        send = outbound._send

        def lethal(message, channel, contact):
            if poison in (message.text or ""):
                _die()  # claimed, not yet at the provider
            return send(message, channel, contact)

        outbound._send = lethal


def _poison_webhook(poison: str) -> None:
    from app.webhooks import delivery

    post = delivery.post

    def lethal(target, body, headers, seconds):
        if poison.encode() in body:
            _die()
        return post(target, body, headers, seconds)

    delivery.post = lethal


def _poison_export(poison: str) -> None:
    from app.exports import formats, jobs

    run = jobs.run

    def lethal(job_id):
        if str(job_id) == poison:
            produce = formats.produce

            def dying(spec, progress):
                for chunk in produce(spec, progress):
                    yield chunk
                    _die()  # half-way through writing its file

            formats.produce = dying
        return run(job_id)

    jobs.run = lethal


def main(database_url: str, redis_url: str, prefix: str, storage: str, clock: str = "") -> None:
    from app import create_app, queues
    from app.pipeline import tagging
    from app.worker import InProcessWorker, cap_memory
    from tests.pipeline.conftest import FakeClassifier

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "REDIS_URL": redis_url,
                      "QUEUE_PREFIX": prefix, "SECRET_KEY": "test-secret",
                      "PHONE_HASH_KEY": "test-phone-key", "STORAGE_DIR": storage,
                      "PUBLIC_URL": "http://localhost", "PIPELINE_RETRY_INTERVALS": [0],
                      "SMS_RETRY_INTERVALS": [0, 0, 0], "WEBHOOK_RETRY_INTERVALS": [0, 0, 0],
                      "WEBHOOK_ALLOW_NETWORKS": "127.0.0.0/8"})
    tagging.set_classifier(FakeClassifier())
    kind, poison = os.environ["POISON_KIND"], os.environ["POISON"]
    if kind.startswith("sms"):
        _poison_sms(poison, at_provider=kind == "sms-at-provider")
    elif kind == "webhook":
        _poison_webhook(poison)
    else:
        _poison_export(poison)
    if clock:
        import rq.registry

        rq.registry.current_timestamp = lambda: time.time() + 3600 * int(clock)
    with app.app_context():
        cap_memory()  # as `flask worker` does
        InProcessWorker(queues.worker_queues(), connection=queues.connection()).work(burst=True)


def run_worker(app, kind: str, poison: object, hours: int = 0) -> int:
    """Run a real worker process until its queues are empty (or it is killed); -> its code."""
    process = subprocess.run(
        [sys.executable, "-m", "tests.app.quarantine_worker",
         app.config["SQLALCHEMY_DATABASE_URI"], app.config["REDIS_URL"],
         app.config["QUEUE_PREFIX"], app.config["STORAGE_DIR"], *([str(hours)] if hours else [])],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), "POISON_KIND": kind,
                       "POISON": str(poison)},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=240)
    if process.returncode not in (0, -signal.SIGKILL):
        raise AssertionError(process.stderr.decode()[-3000:])
    return process.returncode


def admin_page(app, path: str = "/admin/pipeline", email: str = "admin@example.org") -> str:
    """A web app page (the admin pipeline page by default) as a signed-in admin (who must
    exist) sees it."""
    from tests.app.web.ui.conftest import Browser

    web = Browser(app.test_client())
    web.sign_in(email)
    response = web.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


admin_pipeline_page = admin_page


def assert_shown_to_the_admin(app, client, make_user, login, kind: str, ref: object,
                              error: str) -> None:
    """The one quarantined job, as an admin (made here) sees it: in the API's failed list with
    its kind, ref and error, and on the web app's admin pipeline page."""
    make_user("admin@example.org", admin=True)
    admin = login("admin@example.org")
    listed = client.get("/v1/pipeline/failed", headers=admin).get_json()
    assert [(f["kind"], f["ref"], f["error"]) for f in listed] == [(kind, ref, error)]
    html = admin_pipeline_page(app)
    assert error in html and f"{kind}-" in html


if __name__ == "__main__":
    main(*sys.argv[1:6])

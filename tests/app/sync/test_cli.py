"""`flask sync pair|run|status|import` as an operator at a field office uses them."""
from __future__ import annotations

import json
import re
import threading

from sqlalchemy import select
from werkzeug.serving import make_server

from app.extensions import db
from app.models import Form, SyncLink, SyncPeer
from app.services import accounts, projects, sync_links
from app.sync import peers
from sync.ingest import ingest
from tests.conftest import PASSWORD
from tests.openrosa.fixtures import SITE_XFORM, publish_xform, site_instance
from tests.sync.live import new_link


def _central(central) -> tuple[int, str]:
    with central.ctx():
        pid = projects.create_project("Turkana CSO").id
        db.session.commit()
        publish_xform(pid, SITE_XFORM.replace("{version}", "1"))
        return pid, new_link(pid)


def _cli(server, *args, env=None):
    return server.app.test_cli_runner().invoke(args=["sync", *args], env=env)


def _pair(field, central, pid, token):
    result = _cli(field, "pair", f"{central.url}/v1/projects/{pid}", token)
    assert result.exit_code == 0, result.output
    return int(result.stdout.strip().splitlines()[-1])


def test_pair_prints_the_local_project_and_keeps_the_token_encrypted(central, field):
    pid, token = _central(central)
    local = _pair(field, central, pid, token)
    with field.ctx():
        peer = db.session.scalar(select(SyncPeer))
        assert peer.project_id == local and peer.dialect == "datashift"
        assert token not in peer.credentials and peer.verify_tls is True
        assert peers.credentials_of(peer).token == token
    assert _pair(field, central, pid, token) == local  # pairing again reuses the project


def test_run_exits_0_when_everything_was_sent_and_status_shows_it(central, field):
    pid, token = _central(central)
    local = _pair(field, central, pid, token)
    assert _cli(field, "run").exit_code == 0  # forms come down
    with field.ctx():
        for n in range(3):
            ingest(project_id=local, xml=site_instance(f"uuid:c{n}"), attachments={},
                   channel="sms", submitter_id=None, device_id=None)
        status = json.loads(_cli(field, "status", "--json").stdout)
    assert status[0]["waitingSubmissions"] == 3 and status[0]["waitingBytes"] > 0
    assert status[0]["lastContactAt"] and status[0]["conflicts"] == 0
    result = _cli(field, "run")
    assert result.exit_code == 0, result.output
    assert "submissions stored 3" in result.stdout
    after = json.loads(_cli(field, "status", "--json").stdout)[0]
    assert after["waitingSubmissions"] == 0 and after["lastError"] is None
    assert "waiting 0 submission version(s)" in _cli(field, "status").stdout


def test_run_exits_1_when_something_could_not_be_sent(central, field):
    pid, token = _central(central)
    local = _pair(field, central, pid, token)
    with field.ctx():
        # A form only this office has: the central server cannot take its submissions.
        publish_xform(local, SITE_XFORM.replace("site_photos", "office_only").replace(
            "{version}", "1"))
        ingest(project_id=local, xml=site_instance("uuid:o1", form_id="office_only"),
               attachments={}, channel="collect", submitter_id=None, device_id=None)
    result = _cli(field, "run")
    assert result.exit_code == 1
    assert "office_only uuid:o1" in result.output
    status = json.loads(_cli(field, "status", "--json").stdout)[0]
    assert status["waitingSubmissions"] == 1 and "404.1" in status["lastError"]


def test_a_revoked_link_is_refused_at_the_next_run(central, field):
    pid, token = _central(central)
    _pair(field, central, pid, token)
    with central.ctx():
        sync_links.revoke(db.session.scalar(select(SyncLink)))
        db.session.commit()
    result = _cli(field, "run")
    assert result.exit_code == 1 and "refused" in result.output
    assert "revoked" in json.loads(_cli(field, "status", "--json").stdout)[0]["lastError"]


def test_a_second_run_while_one_holds_the_peer_does_nothing(central, field):
    pid, token = _central(central)
    _pair(field, central, pid, token)
    with field.ctx():
        peer_id = db.session.scalar(select(SyncPeer.id))
        assert peers.acquire(peer_id, "another-run", 300)
    result = _cli(field, "run")
    assert result.exit_code == 1 and "another sync run" in result.output
    with field.ctx():
        assert db.session.scalar(select(Form.id)) is None  # it did nothing
        peers.release(peer_id, "another-run")
    assert _cli(field, "run").exit_code == 0


def test_every_needs_an_interval(field):
    result = _cli(field, "run", "--every", "soon")
    assert result.exit_code == 2 and "10m" in result.output


def test_pair_with_a_wrong_token_or_url_says_what_is_wrong(central, field):
    pid, _ = _central(central)
    refused = _cli(field, "pair", f"{central.url}/v1/projects/{pid}", "not-a-token")
    assert refused.exit_code == 1 and "refused" in refused.output
    bad_url = _cli(field, "pair", f"{central.url}/somewhere", "t")
    assert bad_url.exit_code == 2 and "/v1/projects/<id>" in bad_url.output


def test_tls_is_verified_unless_told_otherwise(central, field):
    pid, token = _central(central)
    https = make_server("127.0.0.1", 0, central.app, threaded=True, ssl_context="adhoc")
    thread = threading.Thread(target=https.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"https://127.0.0.1:{https.server_port}/v1/projects/{pid}"
        refused = _cli(field, "pair", url, token)
        assert refused.exit_code == 1 and "TLS verification failed" in refused.output
        allowed = _cli(field, "pair", url, token, "--insecure")
        assert allowed.exit_code == 0, allowed.output
        with field.ctx():
            assert db.session.scalar(select(SyncPeer.verify_tls)) is False
    finally:
        https.shutdown()
        thread.join(timeout=10)


def _central_with_an_admin(central) -> int:
    """The site form in a project of the central server, and an admin m@example.org."""
    with central.ctx():
        pid = projects.create_project("Central project").id
        accounts.create_user("m@example.org", PASSWORD, admin=True)
        db.session.commit()
        publish_xform(pid, SITE_XFORM.replace("{version}", "1"))
    return pid


def test_import_reads_the_password_from_sync_password_and_prints_the_project(central, field):
    pid = _central_with_an_admin(central)
    result = _cli(field, "import", "--from", central.url, "--email", "m@example.org",
                  "--project", str(pid), env={"SYNC_PASSWORD": PASSWORD})
    assert result.exit_code == 0, result.output
    local = int(result.stdout.strip().splitlines()[-1])
    with field.ctx():
        assert db.session.scalar(select(Form.project_id)) == local
    wrong = _cli(field, "import", "--from", central.url, "--email", "m@example.org",
                 "--project", str(pid), env={"SYNC_PASSWORD": "nope, wrong"})
    assert wrong.exit_code == 1 and "refused" in wrong.output


def test_import_prompts_for_the_password_and_shows_its_progress(central, field):
    pid = _central_with_an_admin(central)
    with central.ctx():
        for n in range(3):
            ingest(project_id=pid, xml=site_instance(f"uuid:p{n}"), attachments={},
                   channel="collect", submitter_id=None, device_id=None)
    result = field.app.test_cli_runner().invoke(
        args=["sync", "import", "--from", central.url, "--email", "m@example.org",
              "--project", str(pid)], input=f"{PASSWORD}\n", env={"SYNC_PASSWORD": None})
    assert result.exit_code == 0, result.output
    assert "Password for m@example.org" in result.output
    assert PASSWORD not in result.output  # typed, never echoed
    assert "importing" in result.output  # click's bar: drawn on a terminal, a label in a log
    assert "submissions +3" in result.output


def test_link_prints_a_pairing_url_and_its_qr_code_which_pair_takes_alone(central, field):
    with central.ctx():
        pid = projects.create_project("Turkana CSO").id
        db.session.commit()
        publish_xform(pid, SITE_XFORM.replace("{version}", "1"))
    made = _cli(central, "link", "--project", str(pid), "Turkana office")
    assert made.exit_code == 0, made.output
    token = re.search(r"\b[0-9a-f]{64}\b", made.stdout).group(0)
    assert f"flask sync pair {central.url}/v1/projects/{pid} {token}" in made.stdout
    url = f"{central.url}/v1/key/{token}/projects/{pid}"
    assert url in made.stdout
    assert "\u2588" in made.stdout or "\u2580" in made.stdout  # the QR code, in block characters
    paired = _cli(field, "pair", url)
    assert paired.exit_code == 0, paired.output
    with field.ctx():
        peer = db.session.scalar(select(SyncPeer))
        assert peers.credentials_of(peer).token == token and token not in peer.url


def test_run_every_keeps_syncing_at_its_interval_until_stopped(central, field):
    import queue

    from tests.sync.live import flask_process

    pid, token = _central(central)
    local = _pair(field, central, pid, token)
    process = flask_process(field, "sync", "run", "--every", "1s")
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout],
                     daemon=True).start()

    def next_run() -> str:
        while True:
            line = lines.get(timeout=120)
            if line.startswith("peer "):
                return line

    try:
        assert "forms +1" in next_run()
        with field.ctx():
            ingest(project_id=local, xml=site_instance("uuid:later"), attachments={},
                   channel="ussd", submitter_id=None, device_id=None)
        for _ in range(5):  # a later run, unprompted, sends what was made meanwhile
            if "submissions stored 1" in next_run():
                break
        else:
            raise AssertionError("the loop never sent the new submission")
        assert process.poll() is None  # still running: it syncs until stopped
    finally:
        process.terminate()
        process.wait(timeout=30)
    with central.ctx():
        from app.models import Submission

        assert db.session.scalar(select(Submission.instance_id)) == "uuid:later"

"""Webhook fixtures: a form with a phone question, a real HTTP receiver on 127.0.0.1, users."""
from __future__ import annotations

import json
import threading
import uuid
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from app.extensions import db

SECRET = "s3cret-webhook-signing-key"
FORM = """<?xml version="1.0"?><h:html xmlns="http://www.w3.org/2002/xforms"
 xmlns:h="http://www.w3.org/1999/xhtml" xmlns:jr="http://openrosa.org/javarosa"><h:head>
<h:title>Hotline</h:title><model><instance><data id="hotline" version="1"><issue/>
<caller_phone/><households/><meta><instanceID/><deprecatedID/></meta></data></instance>
<bind nodeset="/data/issue" type="string"/>
<bind nodeset="/data/caller_phone" type="string"/>
<bind nodeset="/data/households" type="int"/>
<bind nodeset="/data/meta/instanceID" type="string" readonly="true()" jr:preload="uid"/>
</model></h:head><h:body><input ref="/data/issue"><label>Issue</label></input>
<input ref="/data/caller_phone"><label>Phone</label></input>
<input ref="/data/households"><label>Households</label></input></h:body></h:html>"""
NUMBER = "+254712345678"


def instance(instance_id: str, *, issue: str = "no water at the school", households: str = "12",
             deprecated: str | None = None) -> bytes:
    meta = f"<instanceID>{instance_id}</instanceID>"
    if deprecated:
        meta += f"<deprecatedID>{deprecated}</deprecatedID>"
    return (f'<data xmlns:jr="http://openrosa.org/javarosa" id="hotline" version="1">'
            f'<issue>{issue}</issue><caller_phone>{NUMBER}</caller_phone>'
            f'<households>{households}</households><meta>{meta}</meta></data>').encode()


class Receiver:
    """A real HTTP server on 127.0.0.1: records every POST, answers from a script of codes."""

    def __init__(self, port: int = 0) -> None:
        self.requests: list[dict] = []
        self.codes: deque[int] = deque()
        self.default = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append({"path": self.path, "headers": dict(self.headers),
                                          "body": body, "json": json.loads(body)})
                code = receiver.codes.popleft() if receiver.codes else receiver.default
                self.send_response(code)
                if 300 <= code < 400:
                    self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_port
        self.url = f"http://127.0.0.1:{self.port}/hook?source=datashift"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def loopback_allowed(app):
    """The test receiver listens on 127.0.0.1, which webhooks may not reach by default: allow
    loopback explicitly, as an operator would with WEBHOOK_ALLOW_NETWORKS."""
    app.config["WEBHOOK_ALLOW_NETWORKS"] = "127.0.0.0/8,::1/128"


@pytest.fixture(autouse=True)
def _keyword_tagging(fake_classifier):
    """Every webhook test tags by keyword rules (tests/conftest.py's fake_classifier)."""


@pytest.fixture
def queued(app, redis_url, queue_prefix):
    """Queued mode on the shared Redis under a prefix of its own, retries at once (the
    worker runs in burst mode: nothing waits for a scheduled one)."""
    app.config.update(REDIS_URL=redis_url, PIPELINE_RETRY_INTERVALS=[0],
                      WEBHOOK_RETRY_INTERVALS=[0, 0, 0])
    return app


@pytest.fixture
def project(make_project):
    from app.models import Project

    pid = make_project("Hotline CSO")
    # The project keeps clear numbers: webhooks must still send only the hash.
    db.session.get(Project, pid).settings = {"allowPhoneNumbers": True}
    db.session.commit()
    return pid


@pytest.fixture
def form(project):
    from app.services.forms import create_form
    from forms.xlsform import compile_upload

    created = create_form(project, compile_upload(FORM.encode(), "application/xml", "h.xml",
                                                  validate=False), None, publish=True)
    db.session.commit()
    return created


@pytest.fixture
def manager(project, make_user, login):
    make_user("manager@example.org", roles={project: "manager"})
    return login("manager@example.org")


@pytest.fixture
def base(project, form):
    return f"/v1/projects/{project}/forms/hotline"


@pytest.fixture
def new_iid():
    return lambda: f"uuid:{uuid.uuid4()}"

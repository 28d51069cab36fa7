"""Moving in from a real ODK Central, where one is reachable (issue 13: "and, where a Central
server is reachable, against it"). The tests speak to loopback only, so this one runs when a
Central is served on this machine (e.g. its docker-compose) and named by ODK_CENTRAL_URL,
ODK_CENTRAL_EMAIL, SYNC_PASSWORD and ODK_CENTRAL_PROJECT; without them it is skipped. The
same import is tested on every run against our own server speaking Central's dialect
(test_central_import.py).
"""
from __future__ import annotations

import ipaddress
import os
import socket
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Form, SubmissionDef
from app.sync.central_import import import_project
from sync.remote import Remote
from sync.wire import Credentials, Wire, WireOptions

CENTRAL = os.environ.get("ODK_CENTRAL_URL")
pytestmark = pytest.mark.skipif(not CENTRAL, reason="no ODK Central here (ODK_CENTRAL_URL)")


def test_import_from_a_real_central_copies_every_version_once(field):
    host = urlsplit(CENTRAL).hostname or ""
    assert ipaddress.ip_address(socket.gethostbyname(host)).is_loopback, \
        "tests reach loopback only: serve the Central on this machine"
    email, password = os.environ["ODK_CENTRAL_EMAIL"], os.environ["SYNC_PASSWORD"]
    project = int(os.environ["ODK_CENTRAL_PROJECT"])
    verify = os.environ.get("ODK_CENTRAL_VERIFY_TLS", "1") != "0"
    remote = Remote(Wire(CENTRAL, Credentials(email=email, password=password),
                         WireOptions(verify_tls=verify)), project)
    wanted = {(form["xmlFormId"], version["instanceId"])
              for form in remote.forms() if form.get("publishedAt")
              for submission in remote.submissions(form["xmlFormId"])
              for version in remote.submission_versions(form["xmlFormId"],
                                                        submission["instanceId"])}
    with field.ctx():
        first = import_project(CENTRAL, email, password, project, verify_tls=verify)
        print(first.summary())
        got = set(db.session.execute(
            select(Form.xml_form_id, SubmissionDef.instance_id)
            .join(Form, Form.id == SubmissionDef.form_id)
            .where(Form.project_id == first.project_id)).all())
        skipped = {line.split()[1] for line in first.skipped if len(line.split()) > 1}
        # Everything Central holds is here, but what the summary names (encrypted forms).
        assert {(f, i) for f, i in wanted if i not in skipped} == got
        again = import_project(CENTRAL, email, password, project, verify_tls=verify)
        assert (again.submissions, again.versions, again.comments, again.app_users) == \
            (0, 0, 0, 0)
        assert db.session.scalar(select(func.count(SubmissionDef.id)).join(
            Form, Form.id == SubmissionDef.form_id).where(
            Form.project_id == first.project_id)) == len(got)

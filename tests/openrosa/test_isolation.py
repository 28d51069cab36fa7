"""Tenants are walled: a caller of project A gets 403 or 404, never data, from project B."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Comment, Submission, SubmissionDef
from tests.conftest import PASSWORD
from tests.openrosa.collect_client import CollectClient
from tests.openrosa.fixtures import SITE_XFORM, jpeg, publish_xform, site_instance
from tests.openrosa.helpers import post_submission

SECRET = "SecretSiteOfB"
FORM = "forms/site_photos"
SUB = f"{FORM}/submissions/uuid:b-1"
# (method, path under /projects/{B}, body kind)
URLS = [
    ("GET", "formList", None), ("GET", f"{FORM}/manifest", None), ("GET", f"{FORM}.xml", None),
    ("GET", f"{FORM}/attachments/logo.png", None), ("HEAD", "submission", None),
    ("POST", "submission", "multipart"),
    ("GET", f"{FORM}/submissions", None), ("GET", SUB, None), ("GET", f"{SUB}.xml", None),
    ("GET", f"{SUB}/versions", None), ("GET", f"{SUB}/attachments", None),
    ("GET", f"{SUB}/attachments/p.jpg", None), ("GET", f"{SUB}/comments", None),
    ("POST", f"{FORM}/submissions", "xml"), ("PUT", SUB, "xml-edit"),
    ("PATCH", SUB, "review"), ("POST", f"{SUB}/comments", "comment"),
    ("POST", f"{SUB}/attachments/p.jpg", "file"),
]


@pytest.fixture
def world(client, make_project, make_app_user, make_user):
    """Projects A and B with the same form; B holds a submission with a photo."""
    a, b = make_project("A"), make_project("B")
    form_a = publish_xform(a, SITE_XFORM.replace("{version}", "1"))
    form_b = publish_xform(b, SITE_XFORM.replace("{version}", "1"))
    _, token_a = make_app_user(a, [form_a])
    _, token_b = make_app_user(b, [form_b])
    xml = site_instance("uuid:b-1", site=SECRET, photo="p.jpg")
    assert post_submission(client, f"/v1/key/{token_b}/projects/{b}", xml,
                           {"p.jpg": jpeg()}).status_code == 201
    make_user("manager-a@example.org", roles={a: "manager"})
    return {"a": a, "b": b, "token_a": token_a}


def _request(client, method: str, url: str, kind: str | None, headers: dict[str, str]):
    edit = site_instance("uuid:b-2", site="Hijack", deprecated_id="uuid:b-1")
    bodies = {
        None: {},
        "multipart": {"data": {"xml_submission_file": (
            io.BytesIO(site_instance("uuid:b-x", site="Injected")), "s.xml")},
            "content_type": "multipart/form-data"},
        "xml": {"data": site_instance("uuid:b-y", site="Injected"),
                "content_type": "application/xml"},
        "xml-edit": {"data": edit, "content_type": "application/xml"},
        "review": {"json": {"reviewState": "approved"}},
        "comment": {"json": {"body": "hello from A"}},
        "file": {"data": b"overwrite", "content_type": "image/jpeg"},
    }
    return client.open(url, method=method, headers=headers, **bodies[kind])


def _assert_untouched(world) -> None:
    assert db.session.scalar(select(func.count(Submission.id))) == 1
    assert db.session.scalar(select(func.count(SubmissionDef.id))) == 1
    assert db.session.scalar(select(func.count(Comment.id))) == 0
    assert db.session.scalar(select(Submission.review_state)) is None


def _sweep(client, prefix: str, headers: dict[str, str], world) -> list[str]:
    """Every URL of B from one caller of A; returns what leaked (status or data), if anything."""
    leaks = []
    for method, path, kind in URLS:
        response = _request(client, method, f"{prefix}/{path}", kind, headers)
        if response.status_code not in (403, 404) or SECRET.encode() in response.data:
            leaks.append(f"{method} {path} -> {response.status_code}")
        _assert_untouched(world)
    return leaks


def test_an_app_user_of_a_gets_403_or_404_and_no_data_from_every_url_of_b(client, world):
    prefix = f"/v1/key/{world['token_a']}/projects/{world['b']}"
    assert _sweep(client, prefix, {}, world) == []


def test_a_web_user_of_a_gets_403_or_404_and_no_data_from_every_url_of_b(client, world, login):
    headers = login("manager-a@example.org")
    assert _sweep(client, f"/v1/projects/{world['b']}", headers, world) == []


def test_a_web_user_of_a_over_digest_gets_nothing_from_b_through_collect(
        live_server, world):
    collect = CollectClient(f"{live_server.url}/v1/projects/{world['b']}",
                            "manager-a@example.org", PASSWORD)
    listing = collect.form_list()
    assert listing.status_code in (403, 404) and SECRET.encode() not in listing.content
    responses = collect.submit(site_instance("uuid:b-z", site="Injected"), {})
    assert responses[-1].status_code in (403, 404)
    _assert_untouched(world)

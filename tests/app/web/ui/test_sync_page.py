"""The Sync page: managers create and revoke field offices' links (token shown once), pair
with a central server, see what waits, and resolve conflicts; nobody else sees it."""
from __future__ import annotations

import re

from sqlalchemy import select

from app.extensions import db
from app.models import SubmissionDef, SyncLink, SyncPeer
from app.services import sync_links
from sync.ingest import ingest
from tests.openrosa.fixtures import SITE_XFORM, publish_xform, site_instance

HEX_TOKEN = re.compile(r"\b[0-9a-f]{64}\b")


def test_only_managers_see_the_sync_page(web_as, make_project):
    pid = make_project()
    viewer = web_as("viewer@example.org", roles={pid: "viewer"})
    assert viewer.get(f"/projects/{pid}/sync").status_code == 403
    assert f"/projects/{pid}/sync" not in viewer.get(f"/projects/{pid}").get_data(as_text=True)
    manager = web_as("manager@example.org", roles={pid: "manager"})
    page = manager.get(f"/projects/{pid}/sync")
    assert page.status_code == 200 and "No field office sends to this project yet." in \
        page.get_data(as_text=True)


def test_a_field_office_token_is_shown_once_and_revoking_refuses_it(web_as, make_project,
                                                                     client):
    pid = make_project()
    manager = web_as("manager@example.org", roles={pid: "manager"})
    manager.get(f"/projects/{pid}/sync")
    created = manager.post(f"/projects/{pid}/sync/links", {"displayName": "Turkana office"})
    html = created.get_data(as_text=True)
    token = HEX_TOKEN.search(html).group(0)
    assert f"flask sync pair http://localhost/v1/projects/{pid} {token}" in html
    # One URL that carries the token too, to paste (or scan) at the office.
    assert f'value="http://localhost/v1/key/{token}/projects/{pid}"' in html
    assert '<svg class="qr" role="img"' in html
    again = manager.get(f"/projects/{pid}/sync").get_data(as_text=True)
    assert "Turkana office" in again and token not in again
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get(f"/v1/projects/{pid}/sync", headers=headers).status_code == 200
    link_id = db.session.scalar(select(SyncLink.actor_id))
    revoked = manager.post(f"/projects/{pid}/sync/links/{link_id}/revoke", follow_redirects=True)
    assert "Turkana office is revoked" in revoked.get_data(as_text=True)
    assert client.get(f"/v1/projects/{pid}/sync", headers=headers).status_code == 401


def test_pairing_from_the_page_says_what_went_wrong_or_pairs(web_as, make_project, live_server):
    central, office = make_project("Central"), make_project("Office")
    _, token = sync_links.create_link(central, "Office", None)
    db.session.commit()
    manager = web_as("manager@example.org", roles={office: "manager"})
    manager.get(f"/projects/{office}/sync")
    bad = manager.post(f"/projects/{office}/sync/peers", {"url": "somewhere", "token": "x"},
                       follow_redirects=True)
    assert "is not an http(s) URL" in bad.get_data(as_text=True)
    refused = manager.post(f"/projects/{office}/sync/peers", {
        "url": f"{live_server.url}/v1/projects/{central}", "token": "0" * 64},
        follow_redirects=True)
    assert "refused this token" in refused.get_data(as_text=True)
    # The URL the central server showed with the token in it: no token field needed.
    paired = manager.post(f"/projects/{office}/sync/peers", {
        "url": f"{live_server.url}/v1/key/{token}/projects/{central}", "token": ""},
        follow_redirects=True)
    html = paired.get_data(as_text=True)
    assert "Paired with Office" in html and live_server.url in html
    assert db.session.scalar(select(SyncPeer.project_id)) == office


def test_a_manager_resolves_a_conflict_from_the_page(web_as, make_project, client):
    pid = make_project()
    publish_xform(pid, SITE_XFORM.replace("{version}", "1"))
    _, token = sync_links.create_link(pid, "Office", None)
    db.session.commit()
    ingest(project_id=pid, xml=site_instance("uuid:k", site="Central"), attachments={},
           channel="collect", submitter_id=None, device_id=None)
    item = {"key": 1, "xmlFormId": "site_photos",
            "xml": site_instance("uuid:k", site="Field").decode()}
    answer = client.post(f"/v1/projects/{pid}/sync/batches", json={"items": [item]},
                         headers={"Authorization": f"Bearer {token}"}).get_json()
    conflict_id = answer["results"][0]["conflict"]["id"]
    manager = web_as("manager@example.org", roles={pid: "manager"})
    html = manager.get(f"/projects/{pid}/sync").get_data(as_text=True)
    assert "Keep the field office" in html and "uuid:k" in html
    done = manager.post(f"/projects/{pid}/sync/conflicts/{conflict_id}", {"keep": "field"},
                        follow_redirects=True)
    assert "Conflict resolved." in done.get_data(as_text=True)
    current = db.session.scalar(select(SubmissionDef.xml).where(SubmissionDef.current.is_(True)))
    assert "Field" in current
    assert "No conflicts." in manager.get(f"/projects/{pid}/sync").get_data(as_text=True)


def test_the_page_shows_what_waits_for_each_central_server_and_its_last_error(
        web_as, make_project, live_server):
    from app.sync.peers import pair
    from app.sync.run import run_peer
    from sync.push import Limits
    from sync.wire import WireOptions

    central, office = make_project("Central"), make_project("Office")
    publish_xform(central, SITE_XFORM.replace("{version}", "1"))
    _, token = sync_links.create_link(central, "Office", None)
    db.session.commit()
    options = WireOptions(backoff=0.01, retries=2)
    peer, _ = pair(f"{live_server.url}/v1/projects/{central}", token, project_id=office,
                   options=options)
    peer_id = peer.id
    assert run_peer(peer_id, options, Limits()).complete  # the form comes down
    # A form only this office has: the central server cannot take its submissions.
    publish_xform(office, SITE_XFORM.replace("site_photos", "office_only").replace(
        "{version}", "1"))
    for n in range(2):
        ingest(project_id=office, xml=site_instance(f"uuid:w{n}"), attachments={},
               channel="sms", submitter_id=None, device_id=None)
    ingest(project_id=office, xml=site_instance("uuid:o1", form_id="office_only"),
           attachments={}, channel="collect", submitter_id=None, device_id=None)
    manager = web_as("manager@example.org", roles={office: "manager"})
    html = manager.get(f"/projects/{office}/sync").get_data(as_text=True)
    row = html[html.index("Central servers this project sends to"):html.index('id="conflicts"')]
    assert "3 versions," in row and " KB" in row and live_server.url in row
    assert ">never<" not in row  # pairing and the first run were contacts
    report = run_peer(peer_id, options, Limits())
    assert report.pushed.stored == 2 and not report.complete
    html = manager.get(f"/projects/{office}/sync").get_data(as_text=True)
    row = html[html.index("Central servers this project sends to"):html.index('id="conflicts"')]
    assert "1 versions," in row
    assert "office_only uuid:o1" in row and "404.1" in row  # the last error, said

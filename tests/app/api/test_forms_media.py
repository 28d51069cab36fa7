"""Form media slots: draft upload/list/download/clear, published download as Collect does."""
from __future__ import annotations

from app.extensions import db
from app.models import Form
from tests.app.api.workbooks import XLSX, simple_form
from tests.openrosa.fixtures import png


def _draft_with_logo(client, headers, pid):
    response = client.post(f"/v1/projects/{pid}/forms", data=simple_form("media", logo=True),
                           headers={**headers, "Content-Type": XLSX})
    assert response.status_code == 200, response.get_json()
    return f"/v1/projects/{pid}/forms/media"


def test_slots_listed_missing_then_filled(client, admin_headers, make_project):
    base = _draft_with_logo(client, admin_headers, make_project())
    slots = client.get(f"{base}/draft/attachments", headers=admin_headers).get_json()
    assert slots == [{"name": "logo.png", "type": "image", "hash": None, "exists": False,
                      "blobExists": False, "datasetExists": False, "updatedAt": None}]
    image = png()
    up = client.post(f"{base}/draft/attachments/logo.png", data=image,
                     headers={**admin_headers, "Content-Type": "image/png"})
    assert up.status_code == 200 and up.get_json()["exists"] is True
    got = client.get(f"{base}/draft/attachments/logo.png", headers=admin_headers)
    assert got.data == image and got.mimetype == "image/png"
    cleared = client.delete(f"{base}/draft/attachments/logo.png", headers=admin_headers)
    assert cleared.status_code == 200
    assert client.get(f"{base}/draft/attachments/logo.png",
                      headers=admin_headers).status_code == 404


def test_unknown_attachment_name_is_404(client, admin_headers, make_project):
    base = _draft_with_logo(client, admin_headers, make_project())
    response = client.post(f"{base}/draft/attachments/other.png", data=png(),
                           headers={**admin_headers, "Content-Type": "image/png"})
    assert response.status_code == 404 and response.get_json()["code"] == 404.1


def test_published_media_downloads_with_etag_and_openrosa_header(
        client, admin_headers, make_project):
    pid = make_project()
    base = _draft_with_logo(client, admin_headers, pid)
    image = png(seed=7)
    client.post(f"{base}/draft/attachments/logo.png", data=image,
                headers={**admin_headers, "Content-Type": "image/png"})
    assert client.post(f"{base}/draft/publish", headers=admin_headers).status_code == 200
    listed = client.get(f"{base}/attachments", headers=admin_headers).get_json()
    assert listed[0]["exists"] is True and listed[0]["hash"]
    got = client.get(f"{base}/attachments/logo.png", headers=admin_headers)
    assert got.status_code == 200 and got.data == image and got.mimetype == "image/png"
    assert got.headers["X-OpenRosa-Version"] == "1.0" and got.headers["ETag"]
    cached = client.get(f"{base}/attachments/logo.png",
                        headers={**admin_headers, "If-None-Match": got.headers["ETag"]})
    assert cached.status_code == 304
    anonymous = client.get(f"{base}/attachments/logo.png")
    assert anonymous.status_code == 401 and anonymous.headers["X-OpenRosa-Version"] == "1.0"
    assert "Digest" in anonymous.headers["WWW-Authenticate"]


def test_new_draft_keeps_media_of_the_same_name(client, admin_headers, make_project):
    pid = make_project()
    base = _draft_with_logo(client, admin_headers, pid)
    client.post(f"{base}/draft/attachments/logo.png", data=png(),
                headers={**admin_headers, "Content-Type": "image/png"})
    client.post(f"{base}/draft/publish", headers=admin_headers)
    client.post(f"{base}/draft", data=simple_form("media", "2", logo=True),
                headers={**admin_headers, "Content-Type": XLSX})
    slots = client.get(f"{base}/draft/attachments", headers=admin_headers).get_json()
    assert slots[0]["exists"] is True
    form = db.session.query(Form).one()
    assert form.draft_version_id != form.current_version_id

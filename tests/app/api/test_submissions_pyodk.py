"""pyodk, unchanged, against a live server: list, get, create with a file, edit, review, comment."""
from __future__ import annotations

import pytest

from tests.helpers import logged_in_pyodk
from tests.openrosa.fixtures import jpeg, site_instance


@pytest.fixture
def pyodk_client(live_server, site_form, make_user, tmp_path):
    make_user("analyst@example.org", roles={site_form.project_id: "manager"})
    with logged_in_pyodk(live_server.url, "analyst@example.org", site_form.project_id, tmp_path,
                         project_id=site_form.project_id) as client:
        client.submissions.default_form_id = "site_photos"
        yield client


def test_pyodk_creates_with_an_attachment_then_lists_gets_edits_reviews_and_comments(
        pyodk_client, tmp_path):
    photo = tmp_path / "a.jpg"
    photo.write_bytes(jpeg())
    created = pyodk_client.submissions.create(
        xml=site_instance("uuid:py1", photo="a.jpg").decode(), attachments=[str(photo)])
    assert created.instanceId == "uuid:py1"
    assert [(a.name, a.exists) for a in created.attachments] == [("a.jpg", True)]

    assert [s.instanceId for s in pyodk_client.submissions.list()] == ["uuid:py1"]
    assert pyodk_client.submissions.get("uuid:py1").submitterId == created.submitterId

    pyodk_client.submissions.edit(
        "uuid:py1", site_instance("uuid:py2", site="Edited", photo="a.jpg",
                                  deprecated_id="uuid:py1").decode(), comment="fixed site")
    assert pyodk_client.submissions.get("uuid:py1").reviewState == "edited"

    pyodk_client.submissions.review("uuid:py1", "approved", comment="looks right")
    assert pyodk_client.submissions.get("uuid:py1").reviewState == "approved"

    pyodk_client.submissions.add_comment("uuid:py1", "third")
    bodies = [c.body for c in pyodk_client.submissions.list_comments("uuid:py1")]
    assert bodies == ["third", "looks right", "fixed site"]

"""The Sync page in a real browser: a manager makes a field office's link and copies the
command; the page passes axe."""
from __future__ import annotations

import re

from app.extensions import db
from app.services.projects import create_project


def test_a_manager_creates_a_field_office_link(page, sign_in, axe, shot):
    project = create_project("Turkana CSO")
    db.session.commit()
    sign_in(page, "coordinator@example.org", roles={project.id: "manager"})
    page.goto(f"/projects/{project.id}/sync")
    axe(page, "sync")
    page.get_by_label("New field office").fill("Lodwar office")
    page.get_by_role("button", name="Create and show its token").click()
    command = page.get_by_label("On the field office's server").input_value()
    assert re.fullmatch(r"flask sync pair http://\S+/v1/projects/\d+ [0-9a-f]{64}", command)
    url = page.get_by_label("Or in the field office's web app").input_value()
    assert url == re.sub(r"^flask sync pair (\S+)/v1/projects/(\d+) (\w+)$",
                         r"\1/v1/key/\3/projects/\2", command)
    assert page.get_by_role("img", name="QR code of the pairing URL").is_visible()
    axe(page, "sync-created")
    shot(page, "sync")

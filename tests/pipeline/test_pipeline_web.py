"""Pipeline health in the web app, on a real quarantine: a real worker process killed twice by
a poison submission (as in test_poison_jobs); the admin page and the project's page for its
managers show it quarantined with the reason and a link to it, the submission's page too,
and the project's retry sends it round again."""
from __future__ import annotations

from app.pipeline import poison
from tests.app.web.ui.conftest import Browser
from tests.pipeline.conftest import water_xml
from tests.pipeline.test_poison_jobs import _row, _worker
from tests.pipeline.test_queue import work


def test_a_quarantined_submission_is_shown_with_its_reason_and_retried_from_the_web(
        queued, water_form, submit, make_user, app):
    project = water_form.project_id
    version = water_form.current_version.version
    good = submit(water_form, water_xml(version))
    bad = submit(water_form, water_xml(version, comments="KILL-THE-WORKER"))
    assert _worker(queued) == -9
    assert _worker(queued, "1") == -9
    assert _worker(queued, "2") == 0
    row = _row(bad.def_id)
    assert row.last_error.startswith("quarantined:") and _row(good.def_id).processed_at

    make_user("admin@example.org", admin=True)
    make_user("manager@example.org", roles={project: "manager"})
    make_user("viewer@example.org", roles={project: "viewer"})
    people = {}
    for who in ("admin", "manager", "viewer"):
        people[who] = Browser(app.test_client())
        people[who].sign_in(f"{who}@example.org")

    link = f"/projects/{project}/forms/water_point/submissions/{bad.instance_id}"
    admin_page = people["admin"].get("/admin/pipeline").get_data(as_text=True)
    assert "Quarantined" in admin_page and "its worker was killed 2 times" in admin_page
    assert link + "#pipeline" in admin_page
    page = people["manager"].get(f"/projects/{project}/pipeline").get_data(as_text=True)
    assert "its worker was killed 2 times" in page and link + "#pipeline" in page
    assert good.instance_id not in page  # processed: not listed
    assert people["viewer"].get(f"/projects/{project}/pipeline").status_code == 403
    one = people["viewer"].get(link).get_data(as_text=True)
    assert "Quarantined" in one and "its worker was killed 2 times" in one
    assert "Process again" not in one  # viewers do not reprocess

    assert people["viewer"].post(f"/projects/{project}/pipeline/retry").status_code == 403
    retried = people["manager"].post(f"/projects/{project}/pipeline/retry",
                                     follow_redirects=True).get_data(as_text=True)
    assert "1 failed jobs sent round again." in retried
    assert poison.interrupted([row.id]) == set()
    work()
    assert _row(bad.def_id).processed_at is not None
    after = people["manager"].get(f"/projects/{project}/pipeline").get_data(as_text=True)
    assert "Nothing waits and nothing has failed." in after

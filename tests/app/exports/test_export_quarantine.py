"""An export job that kills its worker fails alone: a real worker process on real Redis and
database runs it again after the first kill, quarantines it after the second (failed with the
reason, in /health and the failed list, no partial file left) and runs the others;
`retry-failed` runs it again (issue 12, item 1)."""
from __future__ import annotations

import os

import pytest

from app import quarantine
from app.extensions import db
from app.pipeline import retry
from tests.app.exports.test_export_jobs import BASE, _safety
from tests.app.quarantine_worker import assert_shown_to_the_admin, run_worker

pytestmark = pytest.mark.usefixtures("fake_classifier")


@pytest.fixture
def queued(app, queue_prefix):
    """The prefix only: the test sets REDIS_URL once the submissions' pipeline ran inline."""
    yield app
    app.config.update(REDIS_URL=None)


def test_an_export_that_kills_its_worker_twice_is_quarantined_and_the_others_run(
        queued, redis_url, client, project, viewer, publish_fixture, submit, make_user, login):
    headers, _ = viewer
    _safety(project, publish_fixture, submit, 3)  # the pipeline inline: no Redis yet
    queued.config.update(REDIS_URL=redis_url)
    url = BASE.format(project=project, form="sdg5_safety")
    first, bad, last = (client.get(url + f"/submissions.{fmt}?async=1", headers=headers)
                        .get_json()["id"] for fmt in ("csv.zip", "csv", "xlsx"))

    # (Clocks 3 and 6 hours ahead: an export's job may run EXPORT_JOB_TIMEOUT, 2 hours, before
    # RQ calls it abandoned.)
    assert run_worker(queued, "export", bad) == -9
    assert run_worker(queued, "export", bad, hours=3) == -9
    assert run_worker(queued, "export", bad, hours=6) == 0
    db.session.expire_all()
    jobs = {j["id"]: j for j in client.get(url + "/exports", headers=headers).get_json()}
    assert jobs[first]["status"] == jobs[last]["status"] == "done"
    error = jobs[bad]["error"]
    assert jobs[bad]["status"] == "failed"
    assert error.startswith("quarantined: its worker was killed 2 times"), error
    folder = os.path.join(queued.config["STORAGE_DIR"], "exports")
    assert not [n for n in os.listdir(folder) if n.endswith(".part")]

    assert client.get("/health").get_json()["quarantined"]["export"] == 1
    assert_shown_to_the_admin(queued, client, make_user, login, "export", bad, error)

    assert retry.retry_failed() == 1
    assert quarantine.entries() == []
    assert run_worker(queued, "export", "none") == 0
    db.session.expire_all()
    again = client.get(f"{url}/exports/{bad}", headers=headers).get_json()
    assert again["status"] == "done" and again["error"] is None
    assert client.get(again["downloadUrl"], headers=headers).status_code == 200


def test_an_export_killed_once_runs_again_and_finishes(queued, redis_url, client, project,
                                                       viewer, publish_fixture, submit):
    """A deploy's restart kills a running export: it is not lost, nor failed at once."""
    headers, _ = viewer
    _safety(project, publish_fixture, submit, 2)
    queued.config.update(REDIS_URL=redis_url)
    url = BASE.format(project=project, form="sdg5_safety")
    job = client.get(url + "/submissions.csv?async=1", headers=headers).get_json()["id"]
    assert run_worker(queued, "export", job) == -9
    assert run_worker(queued, "export", "none", hours=3) == 0
    db.session.expire_all()
    done = client.get(f"{url}/exports/{job}", headers=headers).get_json()
    assert done["status"] == "done" and done["rows"] == 2

"""Large exports as background jobs (202, progress, file), and `flask export` (issue 6 §9)."""
from __future__ import annotations

import csv
import io
import zipfile

import pytest
from sqlalchemy import select

from app.extensions import db
from tests.app.exports.test_csv_export import SAFE_XML
from tests.app.exports.test_export_privacy_media import (
    NUMBER,
    PHONE_XML,
    _publish_phone_form,
)

BASE = "/v1/projects/{project}/forms/{form}"


def _csvs(content: bytes) -> dict[str, list[list[str]]]:
    archive = zipfile.ZipFile(io.BytesIO(content))
    return {name: list(csv.reader(io.StringIO(archive.read(name).decode())))
            for name in archive.namelist()}


def _safety(project, publish_fixture, submit, n: int = 3) -> None:
    publish_fixture(project, "sdg5_safety")
    for i in range(n):
        submit(SAFE_XML.replace("uuid:safe-1", f"uuid:safe-{i}"))


pytestmark = pytest.mark.usefixtures("fake_classifier")


@pytest.fixture
def queued(app, redis_url, queue_prefix):
    """Exports (and the pipeline) queue to the shared Redis under a prefix of their own."""
    app.config.update(REDIS_URL=redis_url)
    yield app
    app.config.update(REDIS_URL=None)


def _work() -> None:
    """A real RQ worker in burst mode on the exports queue."""
    from rq import SimpleWorker

    from app import queues
    from app.exports import jobs

    SimpleWorker([jobs.queue()], connection=queues.connection()).work(burst=True)


def test_small_export_stays_synchronous(client, project, viewer, publish_fixture, submit):
    headers, _ = viewer
    _safety(project, publish_fixture, submit, 2)
    response = client.get(BASE.format(project=project, form="sdg5_safety")
                          + "/submissions.csv.zip", headers=headers)
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert len(_csvs(response.data)["sdg5_safety.csv"]) == 3


def test_over_threshold_runs_inline_as_a_job_with_the_same_content(
        app, client, project, viewer, publish_fixture, submit):
    headers, actor_id = viewer
    _safety(project, publish_fixture, submit, 5)
    url = BASE.format(project=project, form="sdg5_safety")
    sync = client.get(url + "/submissions.csv.zip", headers=headers)
    app.config.update(EXPORT_ASYNC_ROWS=3, EXPORT_PROGRESS_ROWS=1)

    response = client.get(url + "/submissions.csv.zip", headers=headers)

    assert response.status_code == 202
    job = response.get_json()
    assert response.headers["Location"] == f"http://localhost{url}/exports/{job['id']}"
    # No REDIS_URL: the job ran inline before the answer.
    assert job["status"] == "done" and job["format"] == "csv.zip"
    assert job["rows"] == job["total"] == 5 and job["progress"] == 1.0
    assert job["createdAt"].endswith("Z") and job["finishedAt"].endswith("Z")
    assert job["error"] is None and job["phoneNumbers"] == "hashed"
    assert job["downloadUrl"] == f"http://localhost{url}/exports/{job['id']}/file"
    assert client.get(response.headers["Location"], headers=headers).get_json() == job
    listed = client.get(url + "/exports", headers=headers).get_json()
    assert [j["id"] for j in listed] == [job["id"]]

    download = client.get(job["downloadUrl"], headers=headers)
    assert download.status_code == 200 and download.mimetype == "application/zip"
    assert 'filename=sdg5_safety.csv.zip' in download.headers["Content-Disposition"]
    assert _csvs(download.data) == _csvs(sync.data)
    from app.models import ExportJob

    assert db.session.get(ExportJob, job["id"]).actor_id == actor_id


def test_async_true_and_false_and_plain_csv(app, client, project, viewer, publish_fixture,
                                            submit):
    headers, _ = viewer
    _safety(project, publish_fixture, submit, 2)
    url = BASE.format(project=project, form="sdg5_safety")
    sync = client.get(url + "/submissions.csv", headers=headers)
    job = client.get(url + "/submissions.csv?async=true", headers=headers)
    assert job.status_code == 202
    download = client.get(job.get_json()["downloadUrl"], headers=headers)
    assert download.mimetype == "text/csv" and download.data == sync.data
    app.config.update(EXPORT_ASYNC_ROWS=1)
    assert client.get(url + "/submissions.csv?async=false", headers=headers).status_code == 200
    assert client.get(url + "/submissions.csv", headers=headers).status_code == 202
    # Filters count: one submission is under the threshold.
    assert client.get(url + "/submissions.csv?$filter=__id eq 'uuid:safe-0'",
                      headers=headers).status_code == 200
    app.config.update(EXPORT_ASYNC_ROWS=0)  # never on our own
    assert client.get(url + "/submissions.csv", headers=headers).status_code == 200
    assert client.get(url + "/submissions.csv?async=yes", headers=headers).status_code == 202


def test_queued_job_runs_on_flask_worker(queued, redis_url, client, runner, project, viewer,
                                         publish_fixture, submit):
    headers, _ = viewer
    queued.config.update(REDIS_URL=None)  # the submissions' pipeline runs inline
    _safety(project, publish_fixture, submit, 4)
    url = BASE.format(project=project, form="sdg5_safety")
    sync = client.get(url + "/submissions.csv.zip", headers=headers)
    queued.config.update(REDIS_URL=redis_url, EXPORT_PROGRESS_ROWS=1)

    response = client.get(url + "/submissions.csv.zip?async=1", headers=headers)

    assert response.status_code == 202
    job = response.get_json()
    assert job["status"] == "queued" and job["progress"] == 0.0 and job["downloadUrl"] is None
    early = client.get(f"{url}/exports/{job['id']}/file", headers=headers)
    assert early.status_code == 409 and early.get_json()["code"] == 409.1
    from app.exports import jobs

    assert jobs.queue().count == 1
    result = runner.invoke(args=["worker", "--burst"])  # RQ, listening to the exports queue too
    assert result.exit_code == 0, result.output
    assert jobs.queue().count == 0
    db.session.expire_all()
    done = client.get(response.headers["Location"], headers=headers).get_json()
    assert done["status"] == "done" and done["rows"] == done["total"] == 4
    assert done["progress"] == 1.0
    download = client.get(done["downloadUrl"], headers=headers)
    assert download.status_code == 200
    assert _csvs(download.data) == _csvs(sync.data)


def _boom_format():
    from app.exports import formats

    def producer(source):
        yield b"partial"
        raise RuntimeError("disk on fire")

    return formats.register(formats.Format("boom", ".boom", "text/plain", producer))


def test_a_failed_job_shows_its_error(app, client, project, viewer, publish_fixture, submit):
    from app.exports import formats

    headers, _ = viewer
    _safety(project, publish_fixture, submit, 1)
    url = BASE.format(project=project, form="sdg5_safety")
    _boom_format()
    try:
        response = client.get(url + "/submissions.boom?async=true", headers=headers)
    finally:
        formats.FORMATS.pop("boom")
    job = response.get_json()
    assert response.status_code == 202 and job["status"] == "failed"
    assert job["error"] == "RuntimeError: disk on fire" and job["finishedAt"]
    refused = client.get(f"{url}/exports/{job['id']}/file", headers=headers)
    assert refused.status_code == 409 and "disk on fire" in refused.get_json()["message"]
    import os

    assert [n for n in os.listdir(os.path.join(app.config["STORAGE_DIR"], "exports"))] == []


def test_a_failed_job_on_the_worker(queued, redis_url, client, project, viewer, publish_fixture,
                                    submit):
    from app.exports import formats

    headers, _ = viewer
    queued.config.update(REDIS_URL=None)
    _safety(project, publish_fixture, submit, 1)
    queued.config.update(REDIS_URL=redis_url)
    url = BASE.format(project=project, form="sdg5_safety")
    _boom_format()
    try:
        job = client.get(url + "/submissions.boom?async=true", headers=headers).get_json()
        assert job["status"] == "queued"
        _work()
    finally:
        formats.FORMATS.pop("boom")
    db.session.expire_all()
    failed = client.get(f"{url}/exports/{job['id']}", headers=headers).get_json()
    assert failed["status"] == "failed" and failed["error"] == "RuntimeError: disk on fire"


def test_permissions_and_phone_policy(client, project, viewer, publish_fixture, submit,
                                      make_user, login):
    from app.models import Audit

    headers, _ = viewer
    _publish_phone_form(project)
    submit(PHONE_XML, channel="sms")
    url = BASE.format(project=project, form="hotline")
    make_user("collector@example.org", roles={project: "formfill"})
    collector = login("collector@example.org")
    assert client.get(url + "/submissions.csv?async=true", headers=collector).status_code == 403
    assert client.get(url + "/submissions.csv?async=true").status_code == 401
    assert client.get(url + "/submissions.csv?async=true&phoneNumbers=clear",
                      headers=headers).status_code == 403

    hashed = client.get(url + "/submissions.csv?async=true", headers=headers).get_json()
    rows = list(csv.reader(io.StringIO(
        client.get(hashed["downloadUrl"], headers=headers).data.decode())))
    assert rows[1][rows[0].index("phone")] not in ("", NUMBER)

    make_user("manager@example.org", roles={project: "manager"})
    manager = login("manager@example.org")
    clear = client.get(url + "/submissions.csv?async=true&phoneNumbers=clear",
                       headers=manager).get_json()
    assert clear["phoneNumbers"] == "clear"
    assert db.session.scalar(select(Audit).where(
        Audit.action == "submission.export.phone_clear")) is not None
    rows = list(csv.reader(io.StringIO(
        client.get(clear["downloadUrl"], headers=manager).data.decode())))
    assert rows[1][rows[0].index("phone")] == NUMBER
    # The clear file is the requester's alone; the viewer sees the job but not the file.
    assert client.get(clear["downloadUrl"], headers=headers).status_code == 403
    make_user("manager2@example.org", roles={project: "manager"})
    other = login("manager2@example.org")
    assert client.get(clear["downloadUrl"], headers=other).status_code == 403
    assert len(client.get(url + "/exports", headers=headers).get_json()) == 2
    assert client.get(url + "/exports", headers=collector).status_code == 403
    # Another form's id, or a missing one: 404.
    _safety(project, publish_fixture, submit, 0)
    other_form = BASE.format(project=project, form="sdg5_safety")
    assert client.get(f"{other_form}/exports/{clear['id']}", headers=headers).status_code == 404
    assert client.get(f"{url}/exports/99999", headers=headers).status_code == 404
    assert client.get(url + "/submissions.nope", headers=headers).status_code == 404


def test_finished_files_expire(app, client, project, viewer, publish_fixture, submit, runner):
    import os

    headers, _ = viewer
    _safety(project, publish_fixture, submit, 1)
    url = BASE.format(project=project, form="sdg5_safety")
    job = client.get(url + "/submissions.csv.zip?async=true", headers=headers).get_json()
    folder = os.path.join(app.config["STORAGE_DIR"], "exports")
    assert len(os.listdir(folder)) == 1
    assert runner.invoke(args=["export-cleanup"]).output.startswith("0 expired")
    app.config.update(EXPORT_FILE_TTL_SECONDS=0)
    second = client.get(url + "/submissions.csv.zip?async=true", headers=headers).get_json()
    assert second["expiresAt"] == second["finishedAt"]
    # Listing removes what has expired (the second job, at once) but keeps the first.
    assert [j["id"] for j in client.get(url + "/exports", headers=headers).get_json()] == [
        job["id"]]
    assert client.get(f"{url}/exports/{second['id']}", headers=headers).status_code == 404
    assert len(os.listdir(folder)) == 1


def test_cli_writes_the_same_file_as_the_api(client, runner, project, viewer, publish_fixture,
                                             submit, tmp_path):
    headers, _ = viewer
    _safety(project, publish_fixture, submit, 3)
    url = BASE.format(project=project, form="sdg5_safety")
    out = tmp_path / "out.zip"

    result = runner.invoke(args=["export", "--project", str(project), "--form", "sdg5_safety",
                                 "--format", "csv.zip", "--out", str(out)])

    assert result.exit_code == 0, result.output
    assert "3 submission(s)" in result.output
    assert _csvs(out.read_bytes()) == _csvs(
        client.get(url + "/submissions.csv.zip", headers=headers).data)
    result = runner.invoke(args=["export", "--project", str(project), "--form", "sdg5_safety",
                                 "--format", "csv", "--out", str(tmp_path / "a.csv"),
                                 "--review-state", "approved"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "a.csv").read_text().count("\n") == 1  # the header alone


def test_cli_clear_phone_numbers_are_audited(runner, project, submit, tmp_path):
    from app.models import Audit

    _publish_phone_form(project)
    submit(PHONE_XML, channel="sms")
    out = tmp_path / "h.csv"
    args = ["export", "--project", str(project), "--form", "hotline", "--format", "csv",
            "--out", str(out)]
    assert runner.invoke(args=args).exit_code == 0
    assert NUMBER not in out.read_text()
    assert runner.invoke(args=[*args, "--phone-numbers", "clear"]).exit_code == 0
    assert NUMBER in out.read_text()
    assert db.session.scalar(select(Audit).where(
        Audit.action == "submission.export.phone_clear")).details["cli"] == "flask export"


def test_cli_fails_clearly_on_bad_input(runner, project, publish_fixture, tmp_path):
    publish_fixture(project, "sdg5_safety")
    out = str(tmp_path / "x")
    base = ["export", "--out", out]
    cases = [
        (["--project", "9999", "--form", "sdg5_safety"], "no project with id 9999"),
        (["--project", str(project), "--form", "nope"], f"no form 'nope' in project {project}"),
        (["--project", str(project), "--form", "sdg5_safety", "--format", "pdf"],
         "unknown format 'pdf'"),
        (["--project", str(project), "--form", "sdg5_safety", "--since", "yesterday"],
         "not an ISO 8601 date"),
        (["--project", str(project), "--form", "sdg5_safety", "--filter", "nonsense ((("],
         "--filter"),
    ]
    for args, message in cases:
        result = runner.invoke(args=[*base, *args])
        assert result.exit_code != 0, args
        assert message in result.output, result.output
    assert not (tmp_path / "x").exists()


def test_progress_is_written_while_the_job_runs(app, client, project, viewer, publish_fixture,
                                                submit):
    """A producer that looks at its own job row from another connection, mid-export."""
    from sqlalchemy import text

    from app.exports import formats

    headers, _ = viewer
    _safety(project, publish_fixture, submit, 3)
    app.config.update(EXPORT_PROGRESS_ROWS=1)
    seen = []

    def producer(source):
        for chunk in source.chunks():
            yield b"%d\n" % len(chunk)
        with db.engine.connect() as conn:
            seen.append(tuple(conn.execute(text(
                "SELECT status, rows, total FROM export_jobs ORDER BY id DESC")).first()))
        yield b"end\n"

    formats.register(formats.Format("probe", ".txt", "text/plain", producer))
    try:
        url = BASE.format(project=project, form="sdg5_safety")
        job = client.get(url + "/submissions.probe?async=true", headers=headers).get_json()
    finally:
        formats.FORMATS.pop("probe")
    assert seen == [("running", 3, 3)]
    assert job["status"] == "done" and job["rows"] == 3
    assert client.get(job["downloadUrl"], headers=headers).data == b"3\nend\n"


def test_a_queued_job_that_redis_lost_is_reported_failed(queued, redis_url, client, project,
                                                         viewer, publish_fixture, submit):
    from app.exports import jobs

    headers, _ = viewer
    queued.config.update(REDIS_URL=None)
    _safety(project, publish_fixture, submit, 1)
    queued.config.update(REDIS_URL=redis_url)
    url = BASE.format(project=project, form="sdg5_safety")
    job = client.get(url + "/submissions.csv?async=true", headers=headers).get_json()
    assert job["status"] == "queued"
    jobs.queue().empty()  # the queue and its jobs gone, as if Redis restarted empty
    lost = client.get(f"{url}/exports/{job['id']}", headers=headers).get_json()
    assert lost["status"] == "failed" and "lost" in lost["error"]


def test_a_job_running_past_its_timeout_is_reported_failed(client, project, viewer,
                                                           publish_fixture):
    """An inline run whose process died leaves `running` behind; the timeout tells."""
    from datetime import timedelta

    from app.exports import jobs
    from app.exports.spec import ExportSpec
    from app.models.base import utcnow

    headers, _ = viewer
    form = publish_fixture(project, "sdg5_safety")
    job = jobs.create(ExportSpec(form_id=form.id, format="csv"), None)
    job.status, job.started_at = "running", utcnow() - timedelta(hours=3)
    db.session.commit()
    url = BASE.format(project=project, form="sdg5_safety")
    shown = client.get(f"{url}/exports/{job.id}", headers=headers).get_json()
    assert shown["status"] == "failed" and "EXPORT_JOB_TIMEOUT" in shown["error"]


def test_every_registered_format_runs_as_a_job_and_from_the_cli(
        client, runner, project, viewer, publish_fixture, submit, tmp_path):
    from app.exports import formats, jobs
    from app.exports.spec import ExportSpec
    from app.models import Form

    headers, _ = viewer
    _safety(project, publish_fixture, submit, 2)
    url = BASE.format(project=project, form="sdg5_safety")
    form_id = db.session.scalar(select(Form.id).where(Form.xml_form_id == "sdg5_safety"))
    for name in formats.names():
        fmt = formats.get(name)
        if name == "geojson":  # its own route (Central's fieldpath/limit) always streams
            created = jobs.create(ExportSpec(form_id=form_id, format=name), None)
            jobs.dispatch(created)
            job = client.get(f"{url}/exports/{created.id}", headers=headers).get_json()
        else:
            response = client.get(f"{url}/submissions.{name}?async=true", headers=headers)
            assert response.status_code == 202, name
            job = response.get_json()
        assert job["status"] == "done", (name, job["error"])
        download = client.get(job["downloadUrl"], headers=headers)
        assert download.status_code == 200 and download.mimetype == fmt.mimetype, name
        assert f"filename=sdg5_safety{fmt.suffix}" in download.headers["Content-Disposition"]
        assert download.data, name
        if name in ("csv", "jsonl"):
            assert download.data == client.get(f"{url}/submissions.{name}?async=false",
                                               headers=headers).data
        out = tmp_path / f"cli{fmt.suffix}"
        result = runner.invoke(args=["export", "--project", str(project), "--form",
                                     "sdg5_safety", "--format", name, "--out", str(out)])
        assert result.exit_code == 0 and out.stat().st_size > 0, (name, result.output)

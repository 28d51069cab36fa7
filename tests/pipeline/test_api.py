"""The SDG and pipeline API: tags of a submission, classify, re-process, failed jobs."""
from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.models import CleanedRecord, SdgTag
from tests.pipeline.conftest import water_xml

BASE = "/v1/projects/{pid}/forms/water_point/submissions/{iid}"


def test_sdg_tags_of_a_submission_in_the_fixed_shape(water_form, submit, make_user, login,
                                                     client):
    result = submit(water_form, water_xml(water_form.current_version.version))
    make_user("viewer@example.org", roles={water_form.project_id: "viewer"})
    response = client.get(BASE.format(pid=water_form.project_id, iid=result.instance_id)
                          + "/sdg-tags", headers=login("viewer@example.org"))
    assert response.status_code == 200
    tags = response.get_json()
    version = water_form.current_version.version
    assert tags[0] == {"goal": 5, "target": "5.4", "indicator": "5.4.1", "source": "form",
                       "score": 1.0, "field": "/data/wp/who_fetches", "version": version}
    assert {"goal": 6, "target": None, "indicator": None, "source": "form", "score": 1.0,
            "field": None, "version": version} in tags
    assert {"goal": 6, "target": None, "indicator": None, "source": "model", "score": 0.9,
            "field": "/data/wp/source_other", "version": "fake-1"} in tags
    assert response.headers["X-Total-Count"] == str(len(tags))


def test_sdg_tags_are_walled_by_project_and_role(water_form, submit, make_user, login, client,
                                                 make_project):
    result = submit(water_form, water_xml(water_form.current_version.version))
    other = make_project("Other CSO")
    make_user("formfill@example.org", roles={water_form.project_id: "formfill"})
    make_user("outsider@example.org", roles={other: "manager"})
    url = BASE.format(pid=water_form.project_id, iid=result.instance_id) + "/sdg-tags"
    assert client.get(url).status_code == 401
    assert client.get(url, headers=login("formfill@example.org")).status_code == 403
    assert client.get(url, headers=login("outsider@example.org")).status_code == 403
    missing = BASE.format(pid=water_form.project_id, iid="uuid:nope") + "/sdg-tags"
    assert client.get(missing, headers=login("formfill@example.org")).status_code in (403, 404)


def test_classify_answers_any_logged_in_user_best_first(make_user, login, client):
    make_user("someone@example.org")
    response = client.post("/v1/sdg/classify", headers=login("someone@example.org"),
                           json={"text": "violence near the school water point", "lang": "en"})
    assert response.status_code == 200
    assert response.get_json() == {"goals": [{"goal": 6, "score": 0.9},
                                             {"goal": 4, "score": 0.8},
                                             {"goal": 5, "score": 0.7}], "version": "fake-1"}
    assert client.post("/v1/sdg/classify", json={"text": "water"}).status_code == 401
    bad = client.post("/v1/sdg/classify", headers=login("someone@example.org"), json={})
    assert bad.status_code == 400 and bad.get_json()["code"] == 400.2


def test_managers_reprocess_a_submission_or_a_form_viewers_may_not(
        water_form, submit, make_user, login, client, fake_classifier):
    version = water_form.current_version.version
    results = [submit(water_form, water_xml(version)) for _ in range(2)]
    make_user("manager@example.org", roles={water_form.project_id: "manager"})
    make_user("viewer@example.org", roles={water_form.project_id: "viewer"})
    fake_classifier.version = "fake-2"
    one = BASE.format(pid=water_form.project_id, iid=results[0].instance_id) + "/reprocess"
    assert client.post(one, headers=login("viewer@example.org")).status_code == 403
    response = client.post(one, headers=login("manager@example.org"))
    assert response.get_json() == {"count": 1, "mode": "inline"}
    versions = dict(db.session.execute(select(SdgTag.submission_def_id, func.max(
        SdgTag.version)).where(SdgTag.source == "model").group_by(SdgTag.submission_def_id)).all())
    assert versions == {results[0].def_id: "fake-2", results[1].def_id: "fake-1"}
    form_url = f"/v1/projects/{water_form.project_id}/forms/water_point/reprocess"
    response = client.post(form_url, headers=login("manager@example.org"))
    assert response.get_json() == {"count": 2, "mode": "inline"}
    assert set(db.session.scalars(select(SdgTag.version).where(SdgTag.source == "model"))) == {
        "fake-2"}
    assert db.session.scalar(select(func.count()).select_from(CleanedRecord)) == 2


def test_failed_jobs_are_for_site_admins(make_user, login, client, admin_headers):
    make_user("manager@example.org")
    assert client.get("/v1/pipeline/failed", headers=login("manager@example.org")
                      ).status_code == 403
    response = client.get("/v1/pipeline/failed", headers=admin_headers)
    assert response.status_code == 200 and response.get_json() == []


def test_health_shows_the_inline_pipeline(client, water_form, submit):
    submit(water_form, water_xml(water_form.current_version.version))
    body = client.get("/health").get_json()
    assert body["status"] == "ok"
    assert body["pipeline"] == {"mode": "inline", "pendingOutbox": 0, "failed": 0}


def test_an_admin_retries_failed_jobs_through_the_api(app, water_form, submit, client,
                                                      admin_headers, monkeypatch):
    from app.pipeline import batch

    app.config["PIPELINE_MAX_RETRIES"] = 0
    compute = batch._compute
    monkeypatch.setattr(batch, "_compute", lambda d, ctx: (_ for _ in ()).throw(ValueError("boom")))
    result = submit(water_form, water_xml(water_form.current_version.version))
    failed = client.get("/v1/pipeline/failed", headers=admin_headers).get_json()
    assert [(f["submissionDefId"], f["error"]) for f in failed] == [
        (result.def_id, "ValueError: boom")]
    assert client.get("/health").get_json()["pipeline"]["failed"] == 1
    monkeypatch.setattr(batch, "_compute", compute)
    response = client.post("/v1/pipeline/failed/retry", headers=admin_headers)
    assert response.get_json() == {"count": 1}
    assert client.get("/v1/pipeline/failed", headers=admin_headers).get_json() == []
    assert db.session.scalar(select(func.count()).select_from(CleanedRecord)) == 1

"""submissions.jsonl: one object per submission, cleaned values nested as the form, system
fields, filters and phone privacy."""
from __future__ import annotations

import json

from sqlalchemy import select

from app.extensions import db
from tests.app.exports.samples import NUMBER, PHONE_FORM, PHONE_XML, safe_xml, wp_xml

WP_XML = wp_xml()
SAFE_XML = safe_xml(decides_income="yes", second_age="nine")


def _lines(response) -> list[dict]:
    assert response.status_code == 200, response.data[:300]
    assert response.mimetype == "application/x-ndjson"
    text = response.data.decode("utf-8")
    assert text == "" or text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


def _stored(instance_id: str):
    from app.models import Submission

    return db.session.scalar(select(Submission).where(Submission.instance_id == instance_id))


def test_one_object_per_submission_with_cleaned_values(client, project, viewer,
                                                        publish_fixture, submit):
    headers, actor_id = viewer
    publish_fixture(project, "water_point")
    submit(WP_XML, submitter_id=actor_id, device_id="collect:abc", channel="sms")

    [line] = _lines(client.get(f"/v1/projects/{project}/forms/water_point/submissions.jsonl",
                               headers=headers))
    stored = _stored("uuid:wp-1")
    assert line["instanceId"] == "uuid:wp-1"
    assert line["submissionDate"] == stored.created_at.strftime("%Y-%m-%dT%H:%M:%S.") + \
        f"{stored.created_at.microsecond // 1000:03d}Z"
    assert line["submitterId"] == str(actor_id)
    from app.models import Actor

    assert line["submitterName"] == db.session.get(Actor, actor_id).display_name
    assert line["deviceId"] == "collect:abc"
    assert line["channel"] == "sms"
    assert line["reviewState"] is None
    assert line["formVersion"] == "2026112601"
    assert line["edits"] == 0 and line["updatedAt"] is None
    assert isinstance(line["sdgTags"], list) and isinstance(line["qualityFlags"], list)
    data = line["data"]
    assert data["consent"] == "yes"
    assert data["start"] == "2026-11-20T06:00:00Z"
    wp = data["wp"]
    assert wp["days_broken"] == 12 and wp["households"] == 120
    assert wp["price"] == 2.5
    assert wp["who_fetches"] == ["women", "girls"]
    assert wp["location"] == {"lat": -0.0917, "lon": 34.768, "alt": 1131.2, "accuracy": 4.5}
    assert wp["source_other"] is None
    assert data["meta"] == {"instanceID": "uuid:wp-1"}


def test_repeats_nest_as_arrays_and_bad_values_stay_text(client, project, viewer,
                                                         publish_fixture, submit):
    headers, _ = viewer
    publish_fixture(project, "sdg5_safety")
    submit(SAFE_XML)
    [line] = _lines(client.get(f"/v1/projects/{project}/forms/sdg5_safety/submissions.jsonl",
                               headers=headers))
    data = line["data"]
    assert (data["consent"], data["safe_now"]) == ("yes", "yes")
    assert "age" not in data and "child" not in data  # they live in the survey group
    assert data["survey"]["age"] == 34
    assert data["survey"]["violence_type"] == ["physical", "sexual"]
    assert data["survey"]["child"] == [
        {"child_pos": "1", "child_age": 5, "child_sex": "girl", "in_school": "yes"},
        {"child_pos": "2", "child_age": "nine", "child_sex": "boy", "in_school": "no"}]


def test_filters(client, project, viewer, publish_fixture, submit):
    from app.models import Submission

    headers, _ = viewer
    publish_fixture(project, "water_point")
    submit(WP_XML, channel="sms")
    submit(WP_XML.replace("uuid:wp-1", "uuid:wp-2"), channel="collect")
    db.session.query(Submission).filter(Submission.instance_id == "uuid:wp-2").update(
        {"review_state": "approved"})
    db.session.commit()
    url = f"/v1/projects/{project}/forms/water_point/submissions.jsonl"

    def ids(query: str) -> list[str]:
        return [line["instanceId"] for line in _lines(client.get(url + query, headers=headers))]

    assert ids("") == ["uuid:wp-2", "uuid:wp-1"]
    assert ids("?channel=sms") == ["uuid:wp-1"]
    assert ids("?reviewState=approved") == ["uuid:wp-2"]
    assert ids("?formVersion=2026112601") == ["uuid:wp-2", "uuid:wp-1"]
    assert ids("?formVersion=nope") == []
    assert ids("?since=2000-01-01&until=2000-01-02") == []
    assert ids("?$filter=__id eq 'uuid:wp-1'") == ["uuid:wp-1"]
    assert client.get(url + "?$filter=nonsense eq 1", headers=headers).status_code in (400, 501)


def test_phone_numbers_hashed_unless_a_manager_asks(client, project, viewer, make_user,
                                                     login, submit):
    from app.models import Audit
    from app.services.forms import create_form
    from forms.xlsform import compile_upload
    from tests.app.exports.samples import personal_hash

    headers, _ = viewer
    create_form(project, compile_upload(PHONE_FORM.encode(), "application/xml", "h.xml",
                                        validate=False), None, publish=True)
    db.session.commit()
    submit(PHONE_XML, channel="sms")
    url = f"/v1/projects/{project}/forms/hotline/submissions.jsonl"

    [line] = _lines(client.get(url, headers=headers))
    assert line["data"]["phone"] == personal_hash(NUMBER)
    assert NUMBER not in json.dumps(line)
    assert client.get(url + "?phoneNumbers=clear", headers=headers).status_code == 403

    make_user("manager@example.org", roles={project: "manager"})
    [line] = _lines(client.get(url + "?phoneNumbers=clear",
                               headers=login("manager@example.org")))
    assert line["data"]["phone"] == NUMBER
    assert db.session.scalar(select(Audit).where(
        Audit.action == "submission.export.phone_clear")) is not None


def test_sdg_filter_and_tags(client, project, viewer, publish_fixture, submit):
    from app.models.pipeline import SdgTag

    headers, _ = viewer
    publish_fixture(project, "water_point")
    first = submit(WP_XML)
    submit(WP_XML.replace("uuid:wp-1", "uuid:wp-2"))
    db.session.query(SdgTag).delete()
    db.session.add(SdgTag(submission_def_id=first.def_id, goal=6, target="6.1",
                          indicator="6.1.1", source="form", score=1.0, field="", version="t"))
    db.session.commit()
    base = f"/v1/projects/{project}/forms/water_point/submissions"

    def ids(fmt: str, query: str) -> list[str]:
        if fmt == "jsonl":
            return [x["instanceId"] for x in _lines(client.get(base + ".jsonl" + query,
                                                               headers=headers))]
        body = json.loads(client.get(base + ".geojson" + query, headers=headers).data)
        return [f["id"] for f in body["features"]]

    for fmt in ("jsonl", "geojson"):
        assert ids(fmt, "?sdg=6") == ["uuid:wp-1"]
        assert ids(fmt, "?sdg=6.1.1") == ["uuid:wp-1"]
        assert ids(fmt, "?sdg=5") == []
    [line] = _lines(client.get(base + ".jsonl?sdg=6.1", headers=headers))
    assert line["sdgTags"] == ["6.1.1"]

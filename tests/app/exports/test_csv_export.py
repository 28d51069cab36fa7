"""submissions.csv.zip and .csv: ODK Central's exact columns and values (lib/data/briefcase.js)."""
from __future__ import annotations

import csv
import io
import zipfile

from sqlalchemy import select

from app.extensions import db
from tests.app.exports.samples import SAFE_DECLINED_XML, safe_xml, wp_xml

WP_XML = wp_xml('pump, "handle" broken')
SAFE_XML = safe_xml(sexes=("female", "male"))


WP_HEADER = [
    "SubmissionDate", "consent", "wp-county", "wp-ward", "wp-water_source", "wp-source_other",
    "wp-functional", "wp-days_broken", "wp-minutes_to_fetch", "wp-who_fetches", "wp-price",
    "wp-households", "wp-location-Latitude", "wp-location-Longitude", "wp-location-Altitude",
    "wp-location-Accuracy", "wp-comments", "thanks", "start", "end", "meta-instanceID", "KEY",
    "SubmitterID", "SubmitterName", "AttachmentsPresent", "AttachmentsExpected", "Status",
    "ReviewState", "DeviceID", "Edits", "FormVersion", "Channel", "SDGTags", "QualityFlags"]


def _rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8"))))


def _submission(instance_id: str):
    from app.models import Submission

    return db.session.scalar(select(Submission).where(Submission.instance_id == instance_id))


def _tags(instance_id: str) -> str:
    """SDGTags as our export should write them: what the pipeline stored, most specific code."""
    from app.exports.queries import _code_key, has_table

    if not has_table("sdg_tags"):
        return ""
    from app.models import SubmissionDef
    from app.models.pipeline import SdgTag

    codes = {t.indicator or t.target or str(t.goal) for t in db.session.scalars(
        select(SdgTag).join(SubmissionDef, SubmissionDef.id == SdgTag.submission_def_id).where(
            SubmissionDef.instance_id == instance_id, SubmissionDef.current.is_(True)))}
    return ";".join(sorted(codes, key=_code_key))


def test_root_csv_has_centrals_columns_and_values(client, project, viewer, publish_fixture,
                                                   submit):
    headers, actor_id = viewer
    publish_fixture(project, "water_point")
    submit(WP_XML, submitter_id=actor_id, device_id="collect:abc")

    response = client.get(f"/v1/projects/{project}/forms/water_point/submissions.csv",
                          headers=headers)

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = _rows(response.data)
    assert rows[0] == WP_HEADER
    stored = _submission("uuid:wp-1")
    submitted = stored.created_at.strftime("%Y-%m-%dT%H:%M:%S.") + \
        f"{stored.created_at.microsecond // 1000:03d}Z"
    assert rows[1] == [
        submitted, "yes", "kisumu", "kolwa_east", "borehole", "", "no", "12", "45",
        "women girls", "2.5", "120", "-0.0917", "34.768", "1131.2", "4.5",
        'pump, "handle" broken', "", "2026-11-20T09:00:00.000+03:00",
        "2026-11-20T09:12:00.000+03:00", "uuid:wp-1", "uuid:wp-1", str(actor_id),
        "viewer@example.org", "0", "0", "", "", "collect:abc", "0", "2026112601", "collect",
        _tags("uuid:wp-1"), rows[1][-1]]
    assert len(rows) == 2
    # csv-stringify quotes only when it must, and ends lines with \n.
    assert b'"pump, ""handle"" broken"' in response.data and b"\r\n" not in response.data


def test_zip_holds_a_csv_per_repeat_with_parent_keys(client, project, viewer, published):
    headers, _ = viewer
    published("sdg5_safety", SAFE_XML)

    response = client.get(f"/v1/projects/{project}/forms/sdg5_safety/submissions.csv.zip",
                          headers=headers)

    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert archive.namelist() == ["sdg5_safety.csv", "sdg5_safety-child.csv"]
    root = _rows(archive.read("sdg5_safety.csv"))
    assert root[0][:15] == ["SubmissionDate", "consent", "safe_now", "survey-age",
                            "survey-sex", "survey-county", "survey-safe_night",
                            "survey-violence_12m", "survey-violence_type", "survey-reported",
                            "survey-why_not", "survey-owns_phone", "survey-decides_income",
                            "survey-n_children", "survey-story"]
    assert root[0][15:18] == ["thanks", "meta-instanceID", "KEY"]
    assert root[1][1:18] == ["yes", "yes", "34", "female", "kisumu", "no", "yes",
                             "physical sexual", "no", "fear", "yes", "jointly", "2", "ok", "",
                             "uuid:safe-1", "uuid:safe-1"]
    # Central's repeat file is named by the repeat alone; its KEY keeps the group's path.
    assert _rows(archive.read("sdg5_safety-child.csv")) == [
        ["child_pos", "child_age", "child_sex", "in_school", "PARENT_KEY", "KEY"],
        ["1", "5", "female", "yes", "uuid:safe-1", "uuid:safe-1/survey/child[1]"],
        ["2", "9", "male", "no", "uuid:safe-1", "uuid:safe-1/survey/child[2]"]]


def test_a_declined_consent_exports_blank_survey_columns_and_no_repeat_rows(
        client, project, viewer, published):
    headers, _ = viewer
    published("sdg5_safety", SAFE_DECLINED_XML)

    archive = zipfile.ZipFile(io.BytesIO(client.get(
        f"/v1/projects/{project}/forms/sdg5_safety/submissions.csv.zip",
        headers=headers).data))

    header, row = _rows(archive.read("sdg5_safety.csv"))
    values = dict(zip(header, row, strict=True))
    assert (values["consent"], values["safe_now"], values["KEY"]) == (
        "no", "", "uuid:safe-declined")
    assert [values[c] for c in header if c.startswith("survey-")] == [""] * 12
    assert values["FormVersion"] == "4"
    assert _rows(archive.read("sdg5_safety-child.csv")) == [
        ["child_pos", "child_age", "child_sex", "in_school", "PARENT_KEY", "KEY"]]


def test_options_split_select_multiples_and_drop_group_paths(client, project, viewer,
                                                             published):
    headers, _ = viewer
    published("water_point", WP_XML)

    response = client.get(
        f"/v1/projects/{project}/forms/water_point/submissions.csv.zip"
        "?attachments=false&groupPaths=false&splitSelectMultiples=true", headers=headers)

    rows = _rows(zipfile.ZipFile(io.BytesIO(response.data)).read("water_point.csv"))
    at = rows[0].index("who_fetches")
    # Central: one 0/1 column per value seen in the data, sorted, after the field itself.
    assert rows[0][at:at + 3] == ["who_fetches", "who_fetches/girls", "who_fetches/women"]
    assert rows[1][at:at + 3] == ["women girls", "1", "1"]
    assert "county" in rows[0] and "location-Latitude" in rows[0]


def test_an_edit_counts_and_keeps_the_first_instance_id(client, project, viewer,
                                                        published, submit):
    headers, _ = viewer
    published("sdg5_safety", SAFE_XML)
    edited = SAFE_XML.replace("<orx:instanceID>uuid:safe-1</orx:instanceID>",
                              "<orx:instanceID>uuid:safe-2</orx:instanceID>"
                              "<orx:deprecatedID>uuid:safe-1</orx:deprecatedID>").replace(
        "<survey><age>34</age>", "<survey><age>35</age>")
    submit(edited)

    archive = zipfile.ZipFile(io.BytesIO(client.get(
        f"/v1/projects/{project}/forms/sdg5_safety/submissions.csv.zip",
        headers=headers).data))
    root = _rows(archive.read("sdg5_safety.csv"))
    assert len(root) == 2
    row = dict(zip(root[0], root[1], strict=True))
    assert (row["survey-age"], row["meta-instanceID"], row["KEY"], row["Edits"],
            row["ReviewState"]) == ("35", "uuid:safe-2", "uuid:safe-1", "1", "edited")
    children = _rows(archive.read("sdg5_safety-child.csv"))
    assert children[1][-2:] == ["uuid:safe-1", "uuid:safe-1/survey/child[1]"]


def test_filters_select_by_channel_review_state_and_date(client, project, viewer,
                                                         sent_by_sms_and_collect):
    headers, _ = viewer
    sent_by_sms_and_collect(WP_XML)
    url = f"/v1/projects/{project}/forms/water_point/submissions.csv"

    def keys(query: str) -> list[str]:
        rows = _rows(client.get(url + query, headers=headers).data)
        return [r[rows[0].index("KEY")] for r in rows[1:]]

    assert keys("") == ["uuid:wp-2", "uuid:wp-1"]  # newest first, as Central orders
    assert keys("?channel=sms") == ["uuid:wp-1"]
    assert keys("?reviewState=approved") == []
    assert keys("?since=2000-01-01T00:00:00Z&until=2000-01-02") == []
    assert keys("?formVersion=2026112601") == ["uuid:wp-2", "uuid:wp-1"]
    assert keys("?formVersion=nope") == []


def test_app_users_and_data_collectors_cannot_export(client, project, publish_fixture,
                                                     make_user, login):
    publish_fixture(project, "water_point")
    make_user("collector@example.org", roles={project: "formfill"})
    url = f"/v1/projects/{project}/forms/water_point/submissions.csv.zip"
    assert client.get(url, headers=login("collector@example.org")).status_code == 403
    assert client.get(url).status_code == 401

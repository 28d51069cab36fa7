"""pyodk's get_table, unchanged, against a live server, for every fixture form."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.exports.columns import owner_repeat
from app.extensions import db
from app.models import FormVersion, SubmissionDef
from forms.instance import build_instance
from sync.schema import schema_for
from tests.conftest import FIXTURE_FORMS
from tests.helpers import logged_in_pyodk

FORMS = sorted(p.stem for p in FIXTURE_FORMS.glob("*.xlsx"))


@pytest.fixture
def pyodk_client(live_server, project, make_user, tmp_path):
    make_user("analyst@example.org", roles={project: "viewer"})
    with logged_in_pyodk(live_server.url, "analyst@example.org", project, tmp_path) as client:
        yield client


def _answers(model, n: int) -> tuple[dict, dict]:
    """A value for every question a volunteer can answer, and two rows per repeat."""
    values: dict = {}
    repeats = {r.path: 2 for r in model.repeats()}
    for f in model.fields:
        if f.kind != "question" or f.control not in ("input", "select1", "select"):
            continue
        path = f.path
        for r in repeats:
            if path.startswith(r + "/"):
                path = f"{r}[1]{path[len(r):]}"
        choices = [c.name for c in f.choices]
        values[path] = {"int": str(n + 3), "decimal": "2.5", "geopoint": "-1.5 36.8 1500 5",
                        "date": "2026-11-20"}.get(f.type) or (
            " ".join(choices[:2]) if f.control == "select" and choices else
            choices[0] if choices else f"text {n}")
    return values, repeats


def _expected(f, raw):
    if raw in (None, ""):
        return None
    if f.type == "int":
        return int(raw)
    if f.type == "decimal":
        return float(raw)
    if f.type == "geopoint":
        lat, lon, alt, acc = (float(p) for p in raw.split())
        return {"type": "Point", "coordinates": [lon, lat, alt], "properties": {"accuracy": acc}}
    return raw


def _model(form):
    version = db.session.get(FormVersion, form.current_version_id)
    return schema_for(version.sha256, lambda: version.xml).model


def _at(obj: dict, path: str):
    for step in path.split("/")[2:]:
        obj = obj[step]
    return obj


@pytest.mark.parametrize("name", FORMS)
def test_get_table_rows_match_the_stored_data(pyodk_client, project, publish_fixture, submit,
                                              name):
    model = _model(publish_fixture(project, name))
    for n in range(3):
        values, repeats = _answers(model, n)
        submit(build_instance(model, values, instance_id=f"uuid:{name}-{n}", repeats=repeats))

    table = pyodk_client.submissions.get_table(form_id=name)
    expanded = pyodk_client.submissions.get_table(form_id=name, expand="*")
    filtered = pyodk_client.submissions.get_table(
        form_id=name, filter=f"__id eq 'uuid:{name}-1' or __system/submissionDate lt 2000-01-01")

    assert [r["__id"] for r in table["value"]] == [f"uuid:{name}-{n}" for n in (2, 1, 0)]
    assert [r["__id"] for r in filtered["value"]] == [f"uuid:{name}-1"]
    stored = {d.instance_id: d.data for d in db.session.scalars(select(SubmissionDef))}
    leaves = [f for f in model.fields if f.kind not in ("group", "repeat")]
    for row, full in zip(table["value"], expanded["value"], strict=True):
        data = stored[row["__id"]]
        assert row["__system"]["submitterId"] is None and row["__system"]["edits"] == 0
        for f in leaves:
            repeat = owner_repeat(model, f)
            if repeat is None:
                assert _at(row, f.path) == _expected(f, data["root"][f.path]), f.path
        for r in model.repeats():
            holder = _at(row, r.path.rsplit("/", 1)[0])
            assert holder[f"{r.name}@odata.navigationLink"] == \
                f"Submissions('{row['__id'].replace(':', '%3A')}')/" + \
                "/".join(r.path.split("/")[2:])
            rows = _at(full, r.path)
            want = data["repeats"][r.path]
            assert len(rows) == len(want) == 2
            for got, sub in zip(rows, want, strict=True):
                for f in leaves:
                    if owner_repeat(model, f) == r.path:
                        assert got[f.name] == _expected(f, sub[f.path]), f.path
            sub_table = pyodk_client.submissions.get_table(
                form_id=name, table_name="Submissions." + ".".join(r.path.split("/")[2:]))
            assert len(sub_table["value"]) == 6
            assert {s["__Submissions-id"] for s in sub_table["value"]} == set(stored)


def test_odata_headers_metadata_and_unsupported_keys(client, project, viewer, publish_fixture,
                                                     submit):
    headers, _ = viewer
    publish_fixture(project, "sdg5_safety")
    base = f"/v1/projects/{project}/forms/sdg5_safety.svc"
    doc = client.get(base, headers=headers)
    assert doc.headers["OData-Version"] == "4.0"
    # Central names a repeat's table by its path through groups: survey/child.
    assert [v["name"] for v in doc.get_json()["value"]] == [
        "Submissions", "Submissions.survey.child"]
    meta = client.get(f"{base}/$metadata", headers=headers).data.decode()
    assert '<EntityType Name="Submissions.survey.child">' in meta
    assert '<Property Name="survey" Type="org.opendatakit.user.sdg5_safety.Submissions.survey"/>' \
        in meta
    assert '<Property Name="consent" Type="Edm.String"/>' in meta
    bad = client.get(f"{base}/Submissions?$apply=x", headers=headers)
    assert bad.status_code == 501 and bad.get_json()["code"] == 501.1
    assert "$apply" in bad.get_json()["message"]


def test_paging_with_top_count_and_skiptoken(client, project, viewer, publish_fixture, submit):
    headers, _ = viewer
    model = _model(publish_fixture(project, "health_post"))
    for n in range(5):
        submit(build_instance(model, {}, instance_id=f"uuid:hp-{n}"))
    url = f"/v1/projects/{project}/forms/health_post.svc/Submissions?$top=2&$count=true"
    ids = []
    while url:
        page = client.get(url, headers=headers).get_json()
        assert page["@odata.count"] == 5
        ids += [r["__id"] for r in page["value"]]
        url = page.get("@odata.nextLink", "").replace("http://localhost", "")
    assert ids == [f"uuid:hp-{n}" for n in (4, 3, 2, 1, 0)]

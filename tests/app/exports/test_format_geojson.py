"""submissions.geojson as ODK Central ≥ 2025.3 serves it (test/integration/api/geodata.js)."""
from __future__ import annotations

import json

from app.extensions import db

GEO_FORM = """<?xml version="1.0"?><h:html xmlns="http://www.w3.org/2002/xforms"
 xmlns:h="http://www.w3.org/1999/xhtml" xmlns:jr="http://openrosa.org/javarosa"><h:head>
<h:title>Geo</h:title><model><instance><data id="geotest" version="1">
<singular><input_geopoint/><input_geotrace/><input_geoshape/></singular>
<plural jr:template=""><input_geopoint_repeat/><input_geotrace_repeat/><input_geoshape_repeat/>
</plural><meta><instanceID/></meta></data></instance>
<bind nodeset="/data/singular/input_geopoint" type="geopoint"/>
<bind nodeset="/data/singular/input_geotrace" type="geotrace"/>
<bind nodeset="/data/singular/input_geoshape" type="geoshape"/>
<bind nodeset="/data/plural/input_geopoint_repeat" type="geopoint"/>
<bind nodeset="/data/plural/input_geotrace_repeat" type="geotrace"/>
<bind nodeset="/data/plural/input_geoshape_repeat" type="geoshape"/>
<bind nodeset="/data/meta/instanceID" type="string" readonly="true()" jr:preload="uid"/>
</model></h:head><h:body>
<group ref="/data/singular"><input ref="/data/singular/input_geopoint"/>
<input ref="/data/singular/input_geotrace"/><input ref="/data/singular/input_geoshape"/></group>
<group ref="/data/plural"><repeat nodeset="/data/plural">
<input ref="/data/plural/input_geopoint_repeat"/><input ref="/data/plural/input_geotrace_repeat"/>
<input ref="/data/plural/input_geoshape_repeat"/></repeat></group>
</h:body></h:html>"""


def _submission(instance_id: str, point: str = "50 0 0 0") -> str:
    """Central's geodata.js fixture values (its trace is a closed ring, its shape is not)."""
    return (f'<data id="geotest" version="1"><singular><input_geopoint>{point}</input_geopoint>'
            "<input_geotrace>53 3 3 0;54 4 4 0;55 5 5 0;53 3 3 0</input_geotrace>"
            "<input_geoshape>51 1 1 0;52 2 2 0</input_geoshape></singular>"
            "<plural><input_geopoint_repeat>60 0 0 0</input_geopoint_repeat>"
            "<input_geotrace_repeat>61 1 1 0;62 2 2 0</input_geotrace_repeat>"
            "<input_geoshape_repeat>63 3 3 0;64 4 4 0;65 5 5 0;63 3 3 0</input_geoshape_repeat>"
            "</plural><plural><input_geopoint_repeat>70 0 0 0</input_geopoint_repeat>"
            "<input_geotrace_repeat>71 1 1 0;72 2 2 0</input_geotrace_repeat>"
            "<input_geoshape_repeat>73 3 3 0;74 4 4 0;75 5 5 0;73 3 3 0</input_geoshape_repeat>"
            f"</plural><meta><instanceID>{instance_id}</instanceID></meta></data>")


def _publish(project: int, xml: str = GEO_FORM) -> None:
    """Publish the form, or a new version of it."""
    from app.services import forms as form_service
    from forms.xlsform import compile_upload

    compiled = compile_upload(xml.encode(), "application/xml", "g.xml", validate=False)
    form = form_service.get_form(project, "geotest")
    if form is None:
        form_service.create_form(project, compiled, None, publish=True)
    else:
        form_service.replace_draft(form, compiled, None)
        db.session.flush()
        db.session.expire(form)
        form_service.publish_draft(form, None, None)
    db.session.commit()


def _get(client, project, headers, query: str = "") -> dict:
    response = client.get(f"/v1/projects/{project}/forms/geotest/submissions.geojson{query}",
                          headers=headers)
    assert response.status_code == 200, response.data[:300]
    assert response.mimetype == "application/json"
    return json.loads(response.data)


def test_default_field_and_every_geometry_type_by_fieldpath(client, project, viewer, submit):
    headers, _ = viewer
    _publish(project)
    submit(_submission("1"))

    assert _get(client, project, headers) == {"type": "FeatureCollection", "features": [{
        "type": "Feature", "id": "1", "geometry": {"type": "Point", "coordinates": [0, 50, 0]},
        "properties": {"fieldpath": "/singular/input_geopoint"}}]}

    expected = {
        "/plural/input_geopoint_repeat": {"type": "MultiPoint",
                                          "coordinates": [[0, 60, 0], [0, 70, 0]]},
        "/plural/input_geoshape_repeat": {"type": "MultiPolygon", "coordinates": [
            [[[3, 63, 3], [4, 64, 4], [5, 65, 5], [3, 63, 3]]],
            [[[3, 73, 3], [4, 74, 4], [5, 75, 5], [3, 73, 3]]]]},
        "/plural/input_geotrace_repeat": {"type": "MultiLineString", "coordinates": [
            [[1, 61, 1], [2, 62, 2]], [[1, 71, 1], [2, 72, 2]]]},
        "/singular/input_geopoint": {"type": "Point", "coordinates": [0, 50, 0]},
        # geotrace/geoshape are read by their type, not their shape: this "trace" is a
        # LineString that happens to be closed, this "shape" is not closed, so no geometry.
        "/singular/input_geotrace": {"type": "LineString", "coordinates": [
            [3, 53, 3], [4, 54, 4], [5, 55, 5], [3, 53, 3]]},
    }
    for path, geometry in expected.items():
        body = _get(client, project, headers, f"?fieldpath={path}")
        assert body["features"] == [{"type": "Feature", "id": "1", "geometry": geometry,
                                     "properties": None}], path
    assert _get(client, project, headers, "?fieldpath=/singular/input_geoshape") == {
        "type": "FeatureCollection", "features": []}
    assert _get(client, project, headers, "?fieldpath=/nope")["features"] == []


def test_numbers_as_sent_invalid_points_skipped(client, project, viewer, submit):
    headers, _ = viewer
    _publish(project)
    submit(_submission("a", "-1.50 36.8210 1650.0 5"))
    submit(_submission("b", "91 0"))  # latitude out of range: no geometry, no feature
    submit(_submission("c", "01 2"))  # leading zeroes are not numbers Central reads
    raw = client.get(f"/v1/projects/{project}/forms/geotest/submissions.geojson",
                     headers=headers).data.decode()
    assert '"coordinates":[36.8210,-1.50,1650.0]' in raw
    assert [f["id"] for f in json.loads(raw)["features"]] == ["a"]


def test_filters_limit_and_fieldpath_count(client, project, viewer, submit):
    from app.models import Submission

    headers, _ = viewer
    _publish(project)
    submit(_submission("1"), channel="sms")
    submit(_submission("2"), channel="collect")

    def ids(query: str) -> list[str]:
        return sorted(f["id"] for f in _get(client, project, headers, query)["features"])

    assert ids("") == ["1", "2"]
    assert ids("?$filter=__id eq '1'") == ["1"]
    assert ids("?$filter=__id eq '1' or __id eq '2'") == ["1", "2"]
    assert ids("?channel=sms") == ["1"]
    assert ids("?reviewState=approved") == []
    assert len(ids("?limit=1")) == 1
    assert ids("?limit=abc") == ["1", "2"]
    db.session.query(Submission).filter(Submission.instance_id == "2").update(
        {"review_state": "approved"})
    db.session.commit()
    assert ids("?$filter=__system/reviewState eq 'approved'") == ["2"]

    response = client.get(f"/v1/projects/{project}/forms/geotest/submissions.geojson"
                          "?fieldpath=one&fieldpath=two", headers=headers)
    assert response.status_code == 400
    assert response.get_json()["code"] == 400.41


def test_default_field_of_each_submissions_version(client, project, viewer, submit):
    """Central: the default field follows each submission's own form version."""
    headers, _ = viewer
    _publish(project)
    submit(_submission("1"))
    v2 = (GEO_FORM.replace('version="1"', 'version="2"')
          .replace("<singular>", "<singular><new_input_geopoint/>")
          .replace('<bind nodeset="/data/singular/input_geopoint" type="geopoint"/>',
                   '<bind nodeset="/data/singular/new_input_geopoint" type="geopoint"/>'
                   '<bind nodeset="/data/singular/input_geopoint" type="geopoint"/>'))
    _publish(project, v2)
    submit(_submission("2").replace('version="1"', 'version="2"').replace(
        "<singular>", "<singular><new_input_geopoint>20 0 0 0</new_input_geopoint>"))

    features = {f["id"]: f for f in _get(client, project, headers)["features"]}
    assert features["2"]["properties"] == {"fieldpath": "/singular/new_input_geopoint"}
    assert features["2"]["geometry"]["coordinates"] == [0, 20, 0]
    assert features["1"]["properties"] == {"fieldpath": "/singular/input_geopoint"}
    assert features["1"]["geometry"]["coordinates"] == [0, 50, 0]


def test_single_submission_geojson_and_edits(client, project, viewer, submit):
    """Central: after an edit the bulk export keeps the first instanceID, the single-submission
    endpoint names the current version."""
    headers, _ = viewer
    _publish(project)
    submit(_submission("1"))
    submit(_submission("1.2", "1.2 1.2 1.2").replace(
        "<meta>", "<meta><deprecatedID>1</deprecatedID>"))
    base = f"/v1/projects/{project}/forms/geotest/submissions"

    assert _get(client, project, headers)["features"] == [{
        "type": "Feature", "id": "1", "geometry": {"type": "Point",
                                                   "coordinates": [1.2, 1.2, 1.2]},
        "properties": {"fieldpath": "/singular/input_geopoint"}}]
    single = client.get(f"{base}/1.geojson", headers=headers)
    assert single.status_code == 200
    assert single.get_json()["features"] == [{
        "type": "Feature", "id": "1.2", "geometry": {"type": "Point",
                                                     "coordinates": [1.2, 1.2, 1.2]},
        "properties": {"fieldpath": "/singular/input_geopoint"}}]
    named = client.get(f"{base}/1.geojson?fieldpath=/plural/input_geopoint_repeat",
                       headers=headers).get_json()
    assert named["features"][0]["geometry"]["type"] == "MultiPoint"
    assert named["features"][0]["properties"] is None
    assert client.get(f"{base}/nope.geojson", headers=headers).status_code == 404

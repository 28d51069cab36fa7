"""OData query options: $filter (Central's subset), $select, $wkt, $expand, errors."""
from __future__ import annotations

from tests.app.exports.test_csv_export import SAFE_XML, WP_XML


def _feed(client, project, headers, query: str, form: str = "water_point"):
    return client.get(f"/v1/projects/{project}/forms/{form}.svc/Submissions{query}",
                      headers=headers)


def _ids(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [r["__id"] for r in response.get_json()["value"]]


def test_filter_subset_on_id_and_system_fields(client, project, viewer, publish_fixture,
                                               submit):
    headers, _ = viewer
    publish_fixture(project, "water_point")
    submit(WP_XML)
    submit(WP_XML.replace("uuid:wp-1", "uuid:wp-2"))

    def ids(expr: str) -> list[str]:
        return _ids(_feed(client, project, headers, f"?$filter={expr}"))

    assert ids("__id eq 'uuid:wp-1'") == ["uuid:wp-1"]
    assert ids("not (__id eq 'uuid:wp-1')") == ["uuid:wp-2"]
    assert ids("__system/reviewState eq null and __id ne 'uuid:wp-2'") == ["uuid:wp-1"]
    assert ids("year(__system/submissionDate) ge 2020 and __system/submissionDate le now()") \
        == ["uuid:wp-2", "uuid:wp-1"]
    assert ids("__system/submissionDate lt 2001-01-01T00:00:00Z or __id eq 'none'") == []
    assert ids("month(__system/submissionDate) gt 12") == []


def test_filter_errors_use_centrals_codes(client, project, viewer, publish_fixture):
    headers, _ = viewer
    publish_fixture(project, "water_point")
    assert _feed(client, project, headers, "?$filter=wp/county eq 'x'").get_json()["code"] \
        == 501.5
    assert _feed(client, project, headers, "?$filter=substringof('a', __id)").get_json()[
        "code"] == 501.4
    bad = _feed(client, project, headers, "?$filter=__id eq")
    assert bad.status_code == 400 and bad.get_json()["code"] == 400.18
    assert _feed(client, project, headers, "?$expand=child").get_json()["code"] == 501.6


def test_select_wkt_and_typed_values(client, project, viewer, publish_fixture, submit):
    headers, actor_id = viewer
    publish_fixture(project, "water_point")
    submit(WP_XML, submitter_id=actor_id, device_id="collect:abc")
    row = _feed(client, project, headers, "").get_json()["value"][0]
    assert row["__system"]["submitterId"] == str(actor_id)
    assert (row["__system"]["submitterName"], row["__system"]["deviceId"]) == \
        ("viewer@example.org", "collect:abc")
    assert row["wp"]["days_broken"] == 12 and row["wp"]["price"] == 2.5
    assert row["wp"]["location"] == {"type": "Point", "coordinates": [34.768, -0.0917, 1131.2],
                                     "properties": {"accuracy": 4.5}}
    assert row["wp"]["source_other"] is None and row["meta"]["instanceID"] == "uuid:wp-1"
    assert row["__system"]["edits"] == 0 and row["__system"]["formVersion"] == "2026112601"
    wkt = _feed(client, project, headers, "?$wkt=true").get_json()["value"][0]
    assert wkt["wp"]["location"] == "POINT (34.768 -0.0917 1131.2)"
    picked = _feed(client, project, headers, "?$select=__id,consent").get_json()["value"][0]
    assert picked == {"__id": "uuid:wp-1", "consent": "yes"}


def test_expand_and_repeat_table_rows_link_to_their_parent(client, project, viewer,
                                                           publish_fixture, submit):
    headers, _ = viewer
    publish_fixture(project, "sdg5_safety")
    submit(SAFE_XML)
    row = _feed(client, project, headers, "", "sdg5_safety").get_json()["value"][0]
    assert (row["consent"], row["safe_now"], row["survey"]["age"]) == ("yes", "yes", 34)
    # As Central: the link sits in the group object and follows the group's path.
    assert row["survey"]["child@odata.navigationLink"] == \
        "Submissions('uuid%3Asafe-1')/survey/child"
    assert "child@odata.navigationLink" not in row
    expanded = _feed(client, project, headers, "?$expand=*", "sdg5_safety").get_json()
    children = expanded["value"][0]["survey"]["child"]
    assert [c["child_age"] for c in children] == [5, 9]
    table = client.get(f"/v1/projects/{project}/forms/sdg5_safety.svc/Submissions.survey.child"
                       "?$top=1&$count=true", headers=headers).get_json()
    assert table["@odata.count"] == 2 and len(table["value"]) == 1
    assert table["value"][0]["__Submissions-id"] == "uuid:safe-1"
    assert table["value"][0]["__id"] == children[0]["__id"]
    assert "$skip=1" in table["@odata.nextLink"].replace("%24", "$")

"""Queued mode on a real Redis: an RQ worker's pipeline batches keep the indicators current,
and a newly declared indicator is recomputed by a job on the bulk queue."""
from __future__ import annotations

import pytest

from tests.app.indicators.conftest import instance
from tests.pipeline.conftest import queued  # noqa: F401  (the fixture: a Redis of its own prefix)
from tests.pipeline.test_queue import work


def _points(client, headers, project_id: int, code: str) -> list[tuple]:
    found = client.get(f"/v1/projects/{project_id}/indicators", headers=headers).get_json()
    indicator = next(i for i in found if i["code"] == code)
    points = client.get(f"/v1/projects/{project_id}/indicators/{indicator['id']}/series",
                        headers=headers).get_json()["points"]
    return [(p["period"], p["numerator"], p["n"]) for p in points]


@pytest.mark.usefixtures("queued")
def test_worker_batches_and_a_rebuild_job_keep_indicators_current(safety, send, client,
                                                                  admin_headers):
    for n, answer in enumerate(["yes", "yes", "no"]):
        send(safety, instance(f"uuid:w{n}", sex="female", harassed=answer,
                              visit_date="2025-02-03"))
    assert _points(client, admin_headers, safety.project_id, "harassed") == []  # queued
    work()
    assert _points(client, admin_headers, safety.project_id, "harassed") == [
        ("2025-Q1", 2, 3)]
    created = client.post(f"/v1/projects/{safety.project_id}/indicators", json={
        "code": "not_harassed", "sdg": "11.7.2", "form": "safety", "kind": "proportion",
        "numerator": "${harassed} = 'no'", "denominator": "${harassed} != ''",
        "period": {"unit": "quarter", "field": "visit_date"}}, headers=admin_headers)
    assert created.status_code == 201 and created.get_json()["rebuilding"] is True
    work()
    assert _points(client, admin_headers, safety.project_id, "not_harassed") == [
        ("2025-Q1", 1, 3)]
    again = client.get(f"/v1/projects/{safety.project_id}/indicators/"
                       f"{created.get_json()['id']}", headers=admin_headers).get_json()
    assert again["rebuilding"] is False

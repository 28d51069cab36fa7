"""A webhook delivery that kills its worker fails alone: a real worker process on real Redis
and database, killed by it twice, quarantines it (failed in the delivery log with the reason,
in /health and the failed list) and delivers the others; `retry-failed` or the API's retry
sends it again (issue 12, item 1)."""
from __future__ import annotations

import uuid

import pytest

from app import quarantine
from app.pipeline import retry
from sync.ingest import ingest
from tests.app.quarantine_worker import assert_shown_to_the_admin, run_worker
from tests.app.webhooks.conftest import SECRET, instance

POISON = "KILL-THE-WORKER"


def _deliveries(client, base, manager, hook_id) -> dict[str, dict]:
    rows = client.get(f"{base}/webhooks/{hook_id}/deliveries", headers=manager).get_json()
    return {r["instanceId"]: r for r in rows}


@pytest.mark.parametrize("by", ["retry-failed", "api"])
def test_a_delivery_that_kills_its_worker_twice_is_quarantined_and_the_others_go(
        by, queued, client, base, manager, form, receiver, make_user, login):
    hook = client.post(f"{base}/webhooks", headers=manager,
                       json={"url": receiver.url, "secret": SECRET}).get_json()
    ids = [f"uuid:{uuid.uuid4()}" for _ in range(3)]
    for iid, issue in zip(ids, ["no water", POISON, "broken pump"], strict=True):
        ingest(project_id=form.project_id, xml=instance(iid, issue=issue), attachments={},
               channel="collect", submitter_id=None, device_id=None)
    good, bad = [ids[0], ids[2]], ids[1]

    assert run_worker(queued, "webhook", POISON) == -9
    assert run_worker(queued, "webhook", POISON, hours=1) == -9
    assert run_worker(queued, "webhook", POISON, hours=2) == 0
    rows = _deliveries(client, base, manager, hook["id"])
    assert [rows[i]["status"] for i in good] == ["succeeded", "succeeded"]
    assert sorted(r["json"]["instanceId"] for r in receiver.requests) == sorted(good)
    error = rows[bad]["lastError"]
    assert rows[bad]["status"] == "failed"
    assert error.startswith("quarantined: its worker was killed 2 times"), error

    assert client.get("/health").get_json()["quarantined"]["webhook"] == 1
    assert_shown_to_the_admin(queued, client, make_user, login, "webhook", rows[bad]["id"],
                              error)

    if by == "retry-failed":
        assert retry.retry_failed() == 1
    else:
        again = client.post(f"{base}/webhooks/{hook['id']}/deliveries/{rows[bad]['id']}/retry",
                            headers=manager)
        assert again.status_code == 200
    assert quarantine.entries() == []
    assert run_worker(queued, "webhook", "NOT-POISON") == 0
    assert _deliveries(client, base, manager, hook["id"])[bad]["status"] == "succeeded"
    assert sorted(r["json"]["instanceId"] for r in receiver.requests) == sorted([*good, bad])

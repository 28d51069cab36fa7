"""The real conversation engine behind the simulator: the same answers by SMS, by USSD and in
one compact message are stored through sync.ingest with the same flattened data as the XML
ODK Collect sends for them (timestamps and instanceIDs differ by nature and are left out)."""
from __future__ import annotations

import uuid

from sqlalchemy import select

from app.extensions import db
from app.models import Form, FormVersion, Submission, SubmissionDef
from forms.instance import build_instance
from forms.model import parse_xform
from sync import ingest as sync_ingest
from tests.sms_flows.engine_support import WATER_COLLECT, WATER_COMPACT, WATER_TEXTS

ANSWERS, COMPACT, COLLECT = WATER_TEXTS, WATER_COMPACT, WATER_COLLECT
_VARYING = ("start", "end", "instanceID")


def _comparable(data: dict) -> dict:
    root = {k: v for k, v in data["root"].items() if k.rsplit("/", 1)[1] not in _VARYING}
    return {"root": root, "repeats": data["repeats"], "extra": data["extra"]}


def _say(client, project, channel, manager, phone, text):
    response = client.post(f"/v1/projects/{project}/channels/{channel['id']}/simulate",
                           json={"from": phone, "text": text, "submit": True},
                           headers=manager)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["replies"]


def test_sms_ussd_compact_and_collect_store_the_same_data(client, project, manager,
                                                          make_channel):
    sms = make_channel("simulator", "sms", address="21512")
    ussd = make_channel("simulator", "ussd", address="*384*21#",
                        settings={"form": "water_point"})
    assert "Do you agree" in _say(client, project, sms, manager, "+254700000001", "MAJI")[0]
    for text in ANSWERS:
        replies = _say(client, project, sms, manager, "+254700000001", text)
    assert replies[-1] == "Thank you. Your answers help hold water services to account."
    _say(client, project, ussd, manager, "+254700000002", "")  # dial
    for text in ANSWERS:
        screen = _say(client, project, ussd, manager, "+254700000002", text)[0]
        assert len(screen) <= 182
    assert screen.startswith("END ")
    replies = _say(client, project, sms, manager, "+254700000003", COMPACT)
    assert replies == ["Thank you! Your answers have been saved."]

    form = db.session.scalar(select(Form).where(Form.project_id == project,
                                                Form.xml_form_id == "water_point"))
    model = parse_xform(db.session.get(FormVersion, form.current_version_id).xml.encode())
    xml = build_instance(model, COLLECT, instance_id=str(uuid.uuid4()),
                         non_relevant=["/data/wp/price"])
    sync_ingest.ingest(project_id=project, xml=xml, attachments={}, channel="collect",
                       submitter_id=None, device_id="collect:abc")

    defs = list(db.session.scalars(select(SubmissionDef).where(SubmissionDef.current)))
    assert len(defs) == 4
    stored = [_comparable(d.data) for d in defs]
    assert all(s == stored[-1] for s in stored), stored
    assert stored[0]["root"]["/data/wp/ward"] == "nyalenda_a"
    channels = set(db.session.scalars(select(Submission.channel)))
    # Simulated surveys are stored only when asked, and marked as simulated by their channel.
    assert channels == {"simulated-sms", "simulated-ussd", "simulated-compact", "collect"}

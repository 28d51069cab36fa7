"""The same answers through SMS, USSD and compact mode flatten to the same data as the XML
ODK Collect sends for them (pure: no database). Timestamps and the instanceID differ by
nature and are left out of the comparison."""
from __future__ import annotations

import uuid

import pytest
from defusedxml.ElementTree import fromstring

from forms.flatten import flatten
from forms.instance import build_instance
from tests.sms_flows.engine_support import (
    WATER_COLLECT,
    WATER_COMPACT,
    WATER_TEXTS,
    Talk,
    model,
)

WATER_NOT_RELEVANT = ["/data/wp/price"]

SAFETY_COLLECT = {
    "/data/consent": "yes", "/data/safe_now": "yes",
    "/data/survey/age": "29", "/data/survey/sex": "female", "/data/survey/county": "kisumu",
    "/data/survey/safe_night": "no", "/data/survey/violence_12m": "no",
    "/data/survey/owns_phone": "yes", "/data/survey/decides_income": "yes",
    "/data/survey/n_children": "2",
    "/data/survey/child[1]/child_pos": "1", "/data/survey/child[1]/child_age": "8",
    "/data/survey/child[1]/child_sex": "girl", "/data/survey/child[1]/in_school": "yes",
    "/data/survey/child[2]/child_pos": "2", "/data/survey/child[2]/child_age": "15",
    "/data/survey/child[2]/child_sex": "boy", "/data/survey/child[2]/in_school": "no",
    "/data/survey/story": "", "/data/thanks": "",
}
SAFETY_NOT_RELEVANT = ["/data/survey/violence_type", "/data/survey/reported",
                       "/data/survey/why_not"]
SAFETY_TEXTS = ["1", "1", "29", "1", "1", "2", "2", "1", "1", "2", "8", "1", "1", "15", "2", "2",
                "skip"]
# Declining consent, or saying it is not safe to answer now: Collect leaves out what is not
# relevant (safe_now after a "no" to consent, and the whole survey group).
SAFETY_ENDED_EARLY = [
    ({"/data/consent": "no", "/data/thanks": ""}, ["/data/safe_now", "/data/survey"],
     ["2"], "SAFE 2"),
    ({"/data/consent": "yes", "/data/safe_now": "no", "/data/thanks": ""}, ["/data/survey"],
     ["1", "2"], "SAFE 1 2"),
]

_TIMES = ("start", "end", "instanceID")


def comparable(xml: bytes, form: str) -> tuple[dict, dict]:
    flat = flatten(model(form), fromstring(xml))
    root = {k: v for k, v in flat.root.items() if k.rsplit("/", 1)[1] not in _TIMES}
    repeats = {path: [{k: v for k, v in row.items() if k not in ("__key", "__parent_key")}
                      for row in rows] for path, rows in flat.repeats.items()}
    return root, repeats


def collect_xml(form: str, values: dict, not_relevant: list[str], repeats=None) -> bytes:
    return build_instance(model(form), values, instance_id=str(uuid.uuid4()),
                          repeats=repeats, non_relevant=not_relevant)


def conversation(form: str, medium: str, texts: list[str]) -> bytes:
    talk = Talk(form, medium)
    for text in texts:
        talk.send(text)
    assert talk.state.status == "completed", talk.reply
    return talk.state.instance_xml.encode()


@pytest.mark.parametrize("medium", ["sms", "ussd"])
def test_water_point_conversation_matches_collect(medium):
    expected = comparable(collect_xml("water_point", WATER_COLLECT, WATER_NOT_RELEVANT),
                          "water_point")
    assert comparable(conversation("water_point", medium, WATER_TEXTS), "water_point") == \
        expected


def test_water_point_compact_message_matches_collect():
    talk = Talk("water_point", text=WATER_COMPACT)
    assert talk.state.status == "completed", talk.reply
    expected = comparable(collect_xml("water_point", WATER_COLLECT, WATER_NOT_RELEVANT),
                          "water_point")
    assert comparable(talk.state.instance_xml.encode(), "water_point") == expected


@pytest.mark.parametrize("medium", ["sms", "ussd"])
def test_repeat_rows_match_collect(medium):
    expected = comparable(collect_xml("sdg5_safety", SAFETY_COLLECT, SAFETY_NOT_RELEVANT,
                                      {"/data/survey/child": 2}), "sdg5_safety")
    got = comparable(conversation("sdg5_safety", medium, SAFETY_TEXTS), "sdg5_safety")
    assert got == expected
    assert len(got[1]["/data/survey/child"]) == 2
    assert (got[0]["/data/consent"], got[0]["/data/safe_now"]) == ("yes", "yes")


@pytest.mark.parametrize("medium", ["sms", "ussd", "compact"])
@pytest.mark.parametrize(("values", "not_relevant", "texts", "compact"), SAFETY_ENDED_EARLY,
                         ids=["declined-consent", "not-safe-now"])
def test_sdg5_ended_early_matches_collect_on_every_channel(medium, values, not_relevant, texts,
                                                          compact):
    expected = comparable(collect_xml("sdg5_safety", values, not_relevant), "sdg5_safety")
    if medium == "compact":
        talk = Talk("sdg5_safety", text=compact)
        assert talk.state.status == "completed", talk.reply
        xml = talk.state.instance_xml.encode()
    else:
        xml = conversation("sdg5_safety", medium, texts)
    got = comparable(xml, "sdg5_safety")
    assert got == expected and got[1] == {"/data/survey/child": []}
    assert not any(path.startswith("/data/survey/") and value for path, value in got[0].items())

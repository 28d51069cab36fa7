"""The same answers through SMS, USSD and compact mode flatten to the same data as the XML
ODK Collect sends for them (pure: no database). Timestamps and the instanceID differ by
nature and are left out of the comparison."""
from __future__ import annotations

import uuid

import pytest
from defusedxml.ElementTree import fromstring

from forms.flatten import flatten
from forms.instance import build_instance
from tests.sms_flows.engine_support import Talk, model

WATER_COLLECT = {
    "/data/consent": "yes", "/data/wp/county": "kisumu", "/data/wp/ward": "nyalenda_a",
    "/data/wp/water_source": "other", "/data/wp/source_other": "Kisima",
    "/data/wp/functional": "no", "/data/wp/days_broken": "12",
    "/data/wp/minutes_to_fetch": "40", "/data/wp/who_fetches": "women girls",
    "/data/wp/households": "", "/data/wp/location": "-0.09 34.77 0 0",
    "/data/wp/comments": "Maji ni machafu", "/data/thanks": "",
}
WATER_NOT_RELEVANT = ["/data/wp/price"]
WATER_TEXTS = ["1", "1", "2", "7", "Kisima", "2", "12", "40", "1 3", "SKIP",
               "-0.09 34.77", "Maji ni machafu"]
WATER_COMPACT = "MAJI 1 +wp 1 2 7 Kisima 2 12 40 1,3 - - -0.09,34.77 Maji ni machafu"

SAFETY_COLLECT = {
    "/data/age": "29", "/data/sex": "female", "/data/county": "kisumu",
    "/data/safe_night": "no", "/data/violence_12m": "no", "/data/owns_phone": "yes",
    "/data/decides_income": "yes", "/data/n_children": "2",
    "/data/child[1]/child_pos": "1", "/data/child[1]/child_age": "8",
    "/data/child[1]/child_sex": "girl", "/data/child[1]/in_school": "yes",
    "/data/child[2]/child_pos": "2", "/data/child[2]/child_age": "15",
    "/data/child[2]/child_sex": "boy", "/data/child[2]/in_school": "no",
    "/data/story": "", "/data/thanks": "",
}
SAFETY_NOT_RELEVANT = ["/data/violence_type", "/data/reported", "/data/why_not"]
SAFETY_TEXTS = ["29", "1", "1", "2", "2", "1", "1", "2", "8", "1", "1", "15", "2", "2", "skip"]

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
                                      {"/data/child": 2}), "sdg5_safety")
    got = comparable(conversation("sdg5_safety", medium, SAFETY_TEXTS), "sdg5_safety")
    assert got == expected
    assert len(got[1]["/data/child"]) == 2

"""flatten: a submission as a root row and repeat rows keyed like ODK Central's CSV export."""

from __future__ import annotations

from xml.etree.ElementTree import fromstring

import pytest

from forms.flatten import flatten
from forms.instance import build_instance, read_instance

ANSWERS = {
    "water_point": {
        "/data/consent": "yes", "/data/wp/county": "turkana", "/data/wp/ward": "kalokol",
        "/data/wp/water_source": "vendor", "/data/wp/functional": "no",
        "/data/wp/days_broken": 12, "/data/wp/minutes_to_fetch": 45,
        "/data/wp/who_fetches": ["women", "girls"], "/data/wp/price": 20.5,
        "/data/wp/location": (3.119, 35.597, 510.0, 5.0),
    },
    "sdg5_safety": {
        "/data/consent": "yes", "/data/safe_now": "yes",
        "/data/survey/age": 29, "/data/survey/sex": "female", "/data/survey/violence_12m": "pns",
        "/data/survey/n_children": 2, "/data/survey/child[1]/child_age": 8,
        "/data/survey/child[1]/child_sex": "girl", "/data/survey/child[2]/child_age": 12,
        "/data/survey/child[2]/in_school": "no",
    },
    "health_post": {
        "/data/visit_date": "2026-11-20", "/data/district": "gorkha",
        "/data/facility": "Barpak HP", "/data/staff_total": "3", "/data/stockouts": "ors amox",
    },
    "escuela": {
        "/data/provincia": "chaco", "/data/alumnos": 300, "/data/alumnas": 151,
        "/data/servicios": ["ninguno"], "/data/foto": "fachada.jpg",
    },
}


@pytest.mark.parametrize("name", sorted(ANSWERS))
def test_every_non_repeat_leaf_is_a_root_column_with_its_raw_text(form_model, name):
    model = form_model(name)
    values = ANSWERS[name]
    xml = build_instance(model, values, instance_id="uuid:f-" + name)
    flat = flatten(model, read_instance(xml).root)
    assert flat.instance_id == "uuid:f-" + name and flat.extra == {}
    in_repeat = {f.path for r in model.repeats() for f in model.fields
                 if f.path.startswith(r.path + "/")}
    leaves = [f.path for f in model.fields
              if f.kind not in ("group", "repeat") and f.path not in in_repeat]
    assert list(flat.root) == leaves
    for path, value in values.items():
        if "[" not in path:
            assert flat.root[path] == xml_text(value)
    assert flat.root["/data/meta/instanceID"] == "uuid:f-" + name


def xml_text(value):
    if isinstance(value, list | tuple):
        return " ".join(str(v) for v in value)
    return str(value)


def test_water_point_geopoint_and_select_multiple_stay_raw(form_model):
    model = form_model("water_point")
    xml = build_instance(model, ANSWERS["water_point"], instance_id="uuid:w")
    flat = flatten(model, fromstring(xml))
    assert flat.root["/data/wp/location"] == "3.119 35.597 510.0 5.0"
    assert flat.root["/data/wp/who_fetches"] == "women girls"
    assert flat.repeats == {}


def test_sdg5_repeat_rows_carry_position_key_and_parent_key(form_model):
    model = form_model("sdg5_safety")
    xml = build_instance(model, ANSWERS["sdg5_safety"], instance_id="uuid:s")
    flat = flatten(model, fromstring(xml))
    assert list(flat.repeats) == ["/data/survey/child"]
    rows = flat.repeats["/data/survey/child"]
    assert [r["__position"] for r in rows] == [1, 2]
    assert [r["__key"] for r in rows] == ["uuid:s/survey/child[1]", "uuid:s/survey/child[2]"]
    assert {r["__parent_key"] for r in rows} == {"uuid:s"}
    assert [(r["/data/survey/child/child_age"], r["/data/survey/child/in_school"])
            for r in rows] == [("8", ""), ("12", "no")]
    assert "/data/survey/child/child_age" not in flat.root
    assert (flat.root["/data/consent"], flat.root["/data/safe_now"]) == ("yes", "yes")


def test_nested_repeats_in_a_group_are_keyed_through_the_group(nested_model):
    xml = build_instance(nested_model, {
        "/data/hh/person[1]/pname": "Ana", "/data/hh/person[2]/pname": "Juma",
        "/data/hh/person[2]/visit[1]/vdate": "2026-01-01",
        "/data/hh/person[2]/visit[2]/vdate": "2026-02-01",
    }, instance_id="uuid:h")
    flat = flatten(nested_model, fromstring(xml))
    people = flat.repeats["/data/hh/person"]
    assert [p["__key"] for p in people] == ["uuid:h/hh/person[1]", "uuid:h/hh/person[2]"]
    visits = flat.repeats["/data/hh/person/visit"]
    assert [(v["__key"], v["__parent_key"], v["__position"]) for v in visits] == [
        ("uuid:h/hh/person[2]/visit[1]", "uuid:h/hh/person[2]", 1),
        ("uuid:h/hh/person[2]/visit[2]", "uuid:h/hh/person[2]", 2),
    ]
    assert visits[1]["/data/hh/person/visit/vdate"] == "2026-02-01"


# Hand-written as Collect sends it: orx: meta, the non-relevant group left out, and a field
# from an earlier form version the current model no longer has.
COLLECT_WATER_POINT = b"""<?xml version='1.0' ?><data id="water_point" version="2026112601"
 xmlns:jr="http://openrosa.org/javarosa" xmlns:orx="http://openrosa.org/xforms">
<consent>no</consent><thanks/><start>2026-11-26T08:00:01.120+03:00</start>
<end>2026-11-26T08:00:09.004+03:00</end><old_question>kept &amp; escaped</old_question>
<orx:meta><orx:instanceID>uuid:c0ffee00-0000-4000-8000-000000000001</orx:instanceID></orx:meta>
</data>"""


def test_collect_submission_with_orx_meta_missing_group_and_deleted_field(form_model):
    model = form_model("water_point")
    flat = flatten(model, read_instance(COLLECT_WATER_POINT).root)
    assert flat.instance_id == "uuid:c0ffee00-0000-4000-8000-000000000001"
    assert flat.root["/data/meta/instanceID"] == flat.instance_id
    assert flat.root["/data/consent"] == "no" and flat.root["/data/thanks"] == ""
    assert flat.root["/data/wp/county"] is None  # absent, not empty
    assert flat.root["/data/start"] == "2026-11-26T08:00:01.120+03:00"
    assert flat.extra == {"/data/old_question": "kept & escaped"}


def test_unknown_fields_inside_repeats_are_kept_with_their_indexed_path(form_model):
    model = form_model("sdg5_safety")
    xml = build_instance(model, ANSWERS["sdg5_safety"], instance_id="uuid:x")
    xml = xml.replace(b"<child_pos />", b"<child_pos /><grade><n>4</n></grade>", 2)
    flat = flatten(model, fromstring(xml))
    assert flat.extra == {"/data/survey/child[1]/grade/n": "4",
                          "/data/survey/child[2]/grade/n": "4"}

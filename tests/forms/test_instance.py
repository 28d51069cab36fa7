"""read_instance, referenced_attachments and build_instance: the XML Collect submits."""

from __future__ import annotations

from datetime import UTC, date, datetime
from xml.etree.ElementTree import fromstring

import pytest

from forms.instance import (
    InstanceError,
    InstanceParseError,
    InvalidAnswer,
    MissingFormId,
    MissingInstanceId,
    build_instance,
    read_instance,
    referenced_attachments,
)

ORX = "http://openrosa.org/xforms"

# As ODK Collect sends it: namespaces on the root, orx:-namespaced meta, an edit of an earlier one.
COLLECT_ESCUELA = b"""<?xml version='1.0' ?><data id="escuela" version="1"
 xmlns:h="http://www.w3.org/1999/xhtml" xmlns:jr="http://openrosa.org/javarosa"
 xmlns:orx="http://openrosa.org/xforms" xmlns:odk="http://www.opendatakit.org/xforms">
<provincia>salta</provincia><escuela>Escuela 123</escuela><alumnos>120</alumnos>
<alumnas>61</alumnas><servicios>electricidad agua</servicios><comedor>si</comedor>
<foto>1764180000000.jpg</foto><ubicacion>-24.78 -65.41 1187.0 4.5</ubicacion><problema/>
<orx:meta><orx:instanceID>uuid:7d0c7c3e-1111-4c1e-9a53-0f6b8d1e2a10</orx:instanceID>
<orx:deprecatedID>uuid:0b7c9f5e-2222-4d7e-8f00-a1b2c3d4e5f6</orx:deprecatedID>
<orx:instanceName>Escuela 123</orx:instanceName></orx:meta></data>"""


def test_read_instance_from_collect_with_orx_meta(form_model):
    info = read_instance(COLLECT_ESCUELA, form_model("escuela"))
    assert (info.form_id, info.version) == ("escuela", "1")
    assert info.instance_id == "uuid:7d0c7c3e-1111-4c1e-9a53-0f6b8d1e2a10"
    assert info.deprecated_id == "uuid:0b7c9f5e-2222-4d7e-8f00-a1b2c3d4e5f6"
    assert info.instance_name == "Escuela 123"
    assert info.attachment_names == ("1764180000000.jpg",)


def test_read_instance_with_plain_meta_and_no_model_lists_no_attachments():
    xml = (b'<data id="health_post"><notes>ok</notes>'
           b"<meta><instanceID> uuid:abc </instanceID></meta></data>")
    info = read_instance(xml)
    assert (info.form_id, info.version, info.instance_id) == ("health_post", "", "uuid:abc")
    assert info.deprecated_id is None and info.attachment_names == ()
    assert info.root.find("notes").text == "ok"


@pytest.mark.parametrize(("xml", "error"), [
    (b"", InstanceParseError),
    (b"<data id='x'><meta>", InstanceParseError),
    (b'<!DOCTYPE d [<!ENTITY e "x">]><data id="x"><a>&e;</a></data>', InstanceParseError),
    (b"<data><meta><instanceID>uuid:1</instanceID></meta></data>", MissingFormId),
    (b'<data id="x"><a>1</a></data>', MissingInstanceId),
    (b'<data id="x"><meta><instanceID>  </instanceID></meta></data>', MissingInstanceId),
])
def test_bad_submissions_raise_typed_instance_errors(xml, error):
    with pytest.raises(error) as caught:
        read_instance(xml)
    assert isinstance(caught.value, InstanceError) and isinstance(caught.value, ValueError)
    assert str(caught.value)


def test_referenced_attachments_include_uploads_inside_nested_repeats(nested_model):
    xml = build_instance(nested_model, {
        "/data/hh/person[1]/photo": "a.jpg", "/data/hh/person[2]/photo": "b.jpg",
        "/data/hh/person[3]/photo": "a.jpg", "/data/voice": "v.m4a",
    }, instance_id="uuid:n1")
    root = fromstring(xml)
    assert referenced_attachments(nested_model, root) == ("a.jpg", "b.jpg", "v.m4a")


def test_build_instance_root_has_id_version_and_the_xform_namespaces(form_model):
    root = fromstring(build_instance(form_model("water_point"), {}, instance_id="uuid:1"))
    assert root.tag == "data"
    assert (root.get("id"), root.get("version")) == ("water_point", "2026112601")
    xml = build_instance(form_model("water_point"), {}, instance_id="uuid:1").decode()
    for decl in ('xmlns:jr="http://openrosa.org/javarosa"', 'xmlns:orx="http://openrosa.org/xforms"',
                 'xmlns:odk="http://www.opendatakit.org/xforms"'):
        assert decl in xml
    assert xml.startswith("<?xml version='1.0' encoding='utf-8'?>")


def test_build_instance_keeps_every_template_node_in_order_and_nests_groups(form_model):
    model = form_model("water_point")
    root = fromstring(build_instance(model, {"/data/wp/county": "kisumu"}, instance_id="abc"))
    assert [c.tag for c in root] == ["consent", "wp", "thanks", "start", "end", "meta"]
    wp = root.find("wp")
    assert [c.tag for c in wp][:3] == ["county", "ward", "water_source"] and len(wp) == 12
    assert wp.findtext("county") == "kisumu" and wp.findtext("ward") == ""
    assert root.findtext("meta/instanceID") == "uuid:abc"


def test_build_instance_formats_select_multiple_geopoint_and_dates(form_model):
    model = form_model("health_post")
    root = fromstring(build_instance(model, {
        "/data/visit_date": date(2026, 11, 20), "/data/stockouts": ["ors", "iron"],
        "/data/distance_km": 2.5, "/data/staff_doctors": 1, "/data/notes": None,
    }, instance_id="uuid:2"))
    assert root.findtext("visit_date") == "2026-11-20"
    assert root.findtext("stockouts") == "ors iron"
    assert (root.findtext("distance_km"), root.findtext("staff_doctors")) == ("2.5", "1")
    escuela = fromstring(build_instance(form_model("escuela"), {
        "/data/ubicacion": (-24.78, -65.41, 1187.0, 4.5)}, instance_id="uuid:3"))
    assert escuela.findtext("ubicacion") == "-24.78 -65.41 1187.0 4.5"
    water = fromstring(build_instance(form_model("water_point"), {
        "/data/start": datetime(2026, 11, 26, 8, 30, tzinfo=UTC)}, instance_id="uuid:4"))
    assert water.findtext("start") == "2026-11-26T08:30:00.000+00:00"


def test_build_instance_writes_repeats_without_the_template(form_model):
    model = form_model("sdg5_safety")
    xml = build_instance(model, {"/data/consent": "yes", "/data/safe_now": "yes",
                                 "/data/survey/n_children": 3,
                                 "/data/survey/child[1]/child_age": 7,
                                 "/data/survey/child[2]/child_sex": "girl"},
                         instance_id="uuid:5", repeats={"/data/survey/child": 3})
    root = fromstring(xml)
    children = root.findall("survey/child")
    assert len(children) == 3 and b"template" not in xml
    assert [c.findtext("child_age") for c in children] == ["7", "", ""]
    assert children[1].findtext("child_sex") == "girl"
    assert [c.tag for c in root] == ["consent", "safe_now", "survey", "thanks", "meta"]
    assert [c.tag for c in root.find("survey")][11:] == ["child", "child", "child", "story"]


def test_build_instance_with_no_repeat_answers_writes_no_repeat(form_model):
    root = fromstring(build_instance(form_model("sdg5_safety"),
                                     {"/data/survey/n_children": 0}, instance_id="uuid:6"))
    assert root.findall("survey/child") == [] and root.findtext("survey/n_children") == "0"


def test_build_instance_nested_repeats_take_an_index_per_repeat_step(nested_model):
    root = fromstring(build_instance(nested_model, {
        "/data/hh/person[1]/pname": "Ana", "/data/hh/person[2]/visit[2]/vdate": "2026-01-02",
    }, instance_id="uuid:7", repeats={"/data/hh/person[1]/visit": 1}))
    people = root.findall("hh/person")
    assert [p.findtext("pname") for p in people] == ["Ana", ""]
    assert [len(p.findall("visit")) for p in people] == [1, 2]
    assert people[1].findall("visit")[1].findtext("vdate") == "2026-01-02"


def test_build_instance_leaves_out_non_relevant_nodes(form_model):
    root = fromstring(build_instance(form_model("water_point"), {"/data/consent": "no"},
                                     instance_id="uuid:8", non_relevant=["/data/wp"]))
    assert root.find("wp") is None and root.findtext("consent") == "no"


@pytest.mark.parametrize("values", [
    {"/data/nope": "1"},
    {"/data/wp": "x"},
    {"/data/wp/county[1]": "kisumu"},
    {"/data/wp/location": {"lat": 1}},
    {"/data/consent": True},
])
def test_build_instance_rejects_bad_answers(form_model, values):
    with pytest.raises(InvalidAnswer):
        build_instance(form_model("water_point"), values, instance_id="uuid:9")


def test_build_instance_needs_repeat_indexes(form_model):
    with pytest.raises(InvalidAnswer, match="index"):
        build_instance(form_model("sdg5_safety"), {"/data/survey/child/child_age": 7},
                       instance_id="uuid:9")
    with pytest.raises(InvalidAnswer):
        build_instance(form_model("sdg5_safety"), {"/data/survey/child[0]/child_age": 7},
                       instance_id="uuid:9")


@pytest.mark.parametrize("name", ["water_point", "sdg5_safety", "health_post", "escuela"])
def test_built_instances_read_back_with_the_same_identity_and_answers(form_model, name):
    model = form_model(name)
    answers = {q.path: f"v{i}" for i, q in enumerate(model.questions())
               if q.parent is None or model.field(q.parent).kind == "group"}
    info = read_instance(build_instance(model, answers, instance_id="uuid:rt"), model)
    assert (info.form_id, info.version, info.instance_id) == (
        model.form_id, model.version, "uuid:rt")
    for path, value in answers.items():
        assert info.root.findtext(path.split("/", 2)[2]) == value


def test_read_instance_ignores_a_default_namespace_on_the_root(form_model):
    xml = (b'<data xmlns="http://opendatakit.org/submissions" id="escuela" version="1">'
           b"<foto>f.jpg</foto><meta><instanceID>uuid:d</instanceID></meta></data>")
    info = read_instance(xml, form_model("escuela"))
    assert (info.instance_id, info.attachment_names) == ("uuid:d", ("f.jpg",))

"""parse_xform: the form model read from pyxform's XForms and from hand-written ones."""

from __future__ import annotations

import pytest

from forms.model import UnknownField, XFormStructureError, parse_xform

EN, SW, NE, ES = "English (en)", "Kiswahili (sw)", "नेपाली (ne)", "Español (es)"

HAND_WRITTEN = b"""<?xml version="1.0"?>
<h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml"
  xmlns:jr="http://openrosa.org/javarosa" xmlns:orx="http://openrosa.org/xforms"
  xmlns:odk="http://www.opendatakit.org/xforms">
 <h:head><h:title>Plain</h:title>
  <model>
   <instance><survey id="plain" version="7">
     <deviceid/><loc/><today_uuid/><name>Amina</name><colour/>
     <page><a/><b/></page>
     <orx:meta><orx:instanceID/></orx:meta>
   </survey></instance>
   <instance id="towns" src="jr://file-csv/towns.csv"/>
   <bind nodeset="/survey/deviceid" type="string" jr:preload="property"
     jr:preloadParams="deviceid"/>
   <bind nodeset="/survey/loc" type="geopoint"/>
   <bind nodeset="/survey/name" type="string" required="true()" jr:requiredMsg="Say a name"
     constraint="string-length(.) &gt; 1" jr:constraintMsg="Too short"/>
   <bind nodeset="/survey/colour" type="string"/>
   <bind nodeset="/survey/orx:meta/orx:instanceID" type="string"
     calculate="concat('uuid:', uuid())" readonly="true()"/>
   <odk:setgeopoint event="odk-instance-first-load" ref="/survey/loc"/>
   <setvalue event="odk-instance-first-load" ref="/survey/today_uuid" value="uuid()"/>
  </model>
 </h:head>
 <h:body>
  <input ref="/survey/name"><label>Your name, <output value=" /survey/deviceid "/>?</label>
    <hint>First name only</hint></input>
  <select1 ref="/survey/colour" appearance="minimal"><label>Colour</label>
    <item><label>Red</label><value>red</value></item>
    <item><label>Blue</label><value>blue</value></item></select1>
  <group ref="/survey/page" appearance="field-list"><label>Page</label>
    <input ref="a"><label>A</label></input>
    <input ref="/survey/page/b"><label>B</label>
      <setvalue event="xforms-value-changed" ref="/survey/colour">red</setvalue></input>
  </group>
 </h:body>
</h:html>"""


def test_water_point_identity_and_languages_default_first(form_model):
    model = form_model("water_point")
    assert (model.form_id, model.version, model.root_name) == ("water_point", "2026112601", "data")
    assert model.title == "Water point monitoring"
    assert model.languages == (EN, SW) and model.default_language == EN


def test_water_point_ward_has_a_choice_filter_itemset_on_county(form_model):
    ward = form_model("water_point").field("/data/wp/ward")
    assert ward.control == "select1" and ward.itemset is not None
    assert ward.itemset.instance_id == "ward" and ward.itemset.filtered
    assert "/data/wp/county" in ward.itemset.nodeset
    assert (ward.itemset.value_ref, ward.itemset.label_ref) == ("name", "jr:itext(itextId)")
    by_name = {c.name: c for c in ward.choices}
    assert by_name["kalokol"].properties == {"county": "turkana"}
    assert by_name["mathare"].labels == {EN: "Mathare North", SW: "Mathare Kaskazini"}
    assert model_secondary_names(form_model("water_point"), "ward")[:2] == ["kondele", "nyalenda_a"]


def model_secondary_names(model, instance_id):
    return [item.findtext("name") for item in model.secondary_instances[instance_id]]


def test_water_point_constraint_messages_are_translated_into_kiswahili(form_model):
    days = form_model("water_point").field("/data/wp/days_broken")
    assert days.type == "int" and days.constraint == ". >= 0 and . <= 365"
    assert days.constraint_msgs == {
        EN: "Enter a number of days from 0 to 365", SW: "Andika idadi ya siku kati ya 0 na 365"}
    assert days.relevant is not None and "/data/wp/functional" in days.relevant
    assert days.required == "true()" and days.parent == "/data/wp"


def test_water_point_kinds_groups_meta_and_question_order(form_model):
    model = form_model("water_point")
    kinds = {f.path: f.kind for f in model.fields}
    assert kinds["/data/wp"] == "group" and model.field("/data/wp").type == "structure"
    assert kinds["/data/start"] == kinds["/data/meta/instanceID"] == "meta"
    assert model.field("/data/start").preload == ("timestamp", "start")
    assert model.field("/data/meta/instanceID").preload == ("uid", None)
    names = [q.name for q in model.questions()]
    assert names[:3] == ["consent", "county", "ward"] and names[-1] == "thanks"
    assert "wp" not in names and "start" not in names
    assert model.field("/data/wp/location").type == "geopoint"
    assert model.field("/data/wp/households").required is None  # pyxform's "false()"
    assert model.field("/data/thanks").readonly == "true()"


def test_sdg5_repeat_has_jr_count_and_is_listed_once(form_model):
    model = form_model("sdg5_safety")
    (child,) = model.repeats()
    assert child.path == "/data/survey/child" and child.kind == "repeat"
    assert child.parent == "/data/survey" and model.field("/data/survey").kind == "group"
    assert child.repeat_count == "/data/survey/n_children"
    assert child.labels == {EN: "Child", SW: "Mtoto"}
    paths = [f.path for f in model.fields]
    assert len(paths) == len(set(paths))
    assert model.field("/data/survey/child/child_pos").kind == "calculate"
    assert model.field("/data/survey/child[2]/child_age").parent == "/data/survey/child"


def test_sdg5_relative_outputs_in_labels_resolve_to_absolute_refs(form_model):
    age = form_model("sdg5_safety").field("/data/survey/child/child_age")
    assert age.label_refs == ("/data/survey/child/child_pos",)
    assert age.labels[EN] == "Age of child ${/data/survey/child/child_pos}?"


def test_health_post_has_nepali_labels_and_a_calculate_shown_in_a_note(form_model):
    model = form_model("health_post")
    assert model.languages == (EN, NE)
    assert model.field("/data/district").labels[NE] == "जिल्ला"
    assert model.field("/data/visit_date").constraint_msgs[NE] == "मिति भविष्यको हुन सक्दैन"
    assert model.field("/data/staff_total").kind == "calculate"
    assert "coalesce" in model.field("/data/staff_total").calculate
    summary = model.field("/data/summary")
    assert summary.label_refs == ("/data/staff_total",)
    assert summary.labels[NE] == "उपस्थित कर्मचारी: ${/data/staff_total}। धन्यवाद।"


def test_escuela_has_an_image_upload_and_spanish_as_default(form_model):
    model = form_model("escuela")
    assert model.default_language == ES and model.languages[0] == ES
    (foto,) = model.binary_fields()
    assert (foto.path, foto.control, foto.type, foto.mediatype) == (
        "/data/foto", "upload", "binary", "image/*")
    assert foto.labels[ES] == "Foto de la fachada (opcional)"


def test_fields_and_models_can_be_set_members_and_dict_keys(form_model):
    model = form_model("water_point")
    assert len({*model.fields, *model.fields}) == len(model.fields)
    assert {model: 1}[form_model("water_point")] == 1


def test_unknown_path_raises_unknown_field(form_model):
    with pytest.raises(UnknownField):
        form_model("escuela").field("/data/nope")


def test_hand_written_form_with_plain_labels_inline_items_and_actions():
    model = parse_xform(HAND_WRITTEN)
    assert model.languages == () and model.default_language is None
    assert model.root_name == "survey" and model.version == "7"
    assert model.external_instances == {"towns": "jr://file-csv/towns.csv"}
    name = model.field("/survey/name")
    assert name.labels == {"": "Your name, ${/survey/deviceid}?"}
    assert name.label_refs == ("/survey/deviceid",) and name.hints == {"": "First name only"}
    assert name.default == "Amina"
    assert name.constraint_msgs == {"": "Too short"} and name.required_msgs == {"": "Say a name"}
    colour = model.field("/survey/colour")
    assert [(c.name, c.labels) for c in colour.choices] == [
        ("red", {"": "Red"}), ("blue", {"": "Blue"})]
    assert colour.appearance == "minimal" and colour.itemset is None
    (changed,) = colour.odk_actions
    assert (changed.event, changed.text, changed.trigger) == (
        "xforms-value-changed", "red", "/survey/page/b")
    assert model.field("/survey/page").field_list
    assert model.field("/survey/page/a").labels == {"": "A"}  # relative ref inside the group
    assert model.field("/survey/deviceid").preload == ("property", "deviceid")
    loc = model.field("/survey/loc")
    assert loc.kind == "meta" and loc.odk_actions[0].name == "odk:setgeopoint"
    assert model.field("/survey/today_uuid").odk_actions[0].value == "uuid()"
    instance_id = model.field("/survey/orx:meta/orx:instanceID")
    assert instance_id.kind == "meta" and instance_id.calculate == "concat('uuid:', uuid())"


@pytest.mark.parametrize("xml", [
    b"not xml at all",
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>',
    b"<html/>",
    b'<h:html xmlns:h="http://www.w3.org/1999/xhtml"><h:head/></h:html>',
    HAND_WRITTEN.replace(b' id="plain"', b""),
])
def test_non_xforms_raise_xform_structure_error(xml):
    with pytest.raises(XFormStructureError):
        parse_xform(xml)


def test_xform_structure_error_is_a_value_error():
    assert issubclass(XFormStructureError, ValueError)


ITEXT_NO_DEFAULT = b"""<h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml"
  xmlns:jr="http://openrosa.org/javarosa"><h:head><h:title>T</h:title><model>
 <itext>
  <translation lang="fr"><text id="q:label"><value form="image">jr://images/q.png</value>
    <value>Nom ?</value></text>
    <text id="p:label"><value form="image">p.png</value></text></translation>
  <translation lang="en"><text id="q:label"><value>Name?</value></text></translation>
 </itext>
 <instance><d id="t"><q/><p/><meta><instanceID/></meta></d></instance>
 </model></h:head><h:body>
 <input ref="/d/q"><label ref="jr:itext('q:label')"/></input>
 <input ref="/d/p"><label ref="jr:itext('p:label')"/></input></h:body></h:html>"""


def test_first_translation_is_default_when_none_is_marked_and_media_is_not_text():
    model = parse_xform(ITEXT_NO_DEFAULT)
    assert model.languages == ("fr", "en") and model.default_language == "fr"
    assert model.field("/d/q").labels == {"fr": "Nom ?", "en": "Name?"}
    assert model.field("/d/p").labels == {}

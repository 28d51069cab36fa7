"""Compiling uploads: the fixture forms, SDG mapping, settings, versions, XForm uploads."""

import hashlib
import json
import shutil
from pathlib import Path

import defusedxml.ElementTree as DET
import pytest

from forms.errors import XLSFormWarnings
from forms.xlsform import CompiledForm, SdgMapping, compile_upload, set_version
from tests.forms.xlsform_builder import build_xls, build_xlsx, simple_survey

FIXTURES = Path(__file__).parents[1] / "fixtures" / "forms"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XF = "{http://www.w3.org/2002/xforms}"
needs_java = pytest.mark.skipif(shutil.which("java") is None, reason="ODK Validate needs Java")


def fixture(name: str, **kwargs) -> CompiledForm:
    data = (FIXTURES / f"{name}.xlsx").read_bytes()
    return compile_upload(data, XLSX, f"{name}.xlsx", **kwargs)


def primary_instance(xml: bytes):
    root = DET.fromstring(xml)
    return list(root.find(f"{{http://www.w3.org/1999/xhtml}}head/{XF}model/{XF}instance"))[0]


@needs_java
@pytest.mark.parametrize(
    ("name", "version", "keyword", "title"),
    [
        ("water_point", "2026112601", "MAJI", "Water point monitoring"),
        ("sdg5_safety", "4", "SAFE", "Safety and equality (SDG 5)"),
        ("health_post", "2026.11.1", "SWASTHYA", "Health post check (Nepal)"),
        ("escuela", "1", "ESCUELA", "Relevamiento escolar"),
    ],
)
def test_fixture_forms_compile_and_pass_odk_validate(name, version, keyword, title):
    form = fixture(name, ignore_warnings=True)
    assert form.validated is True
    assert (form.form_id, form.version, form.title) == (name, version, title)
    assert form.sms_keyword == keyword
    assert form.disaggregation == {}  # none of the fixtures has a disaggregation column
    assert primary_instance(form.xml).get("id") == name
    assert form.xlsform == (FIXTURES / f"{name}.xlsx").read_bytes()
    assert form.xlsform_content_type == XLSX


def test_water_point_sdg_codes_map_to_question_paths_inside_groups():
    sdg = fixture("water_point", validate=False).sdg
    assert sdg.form == ("6",)
    assert sdg.questions["/data/wp/water_source"] == ("6.1.1",)
    assert sdg.questions["/data/wp/who_fetches"] == ("5.4.1",)
    assert sdg.questions["/data/wp/price"] == ("6.1",)
    assert "/data/wp/county" not in sdg.questions
    assert sdg.choices == {}


def test_sdg5_safety_maps_target_letters_and_repeat_children():
    sdg = fixture("sdg5_safety", validate=False).sdg
    assert sdg.form == ("5",)
    assert sdg.questions["/data/survey/owns_phone"] == ("5.b.1",)
    assert sdg.questions["/data/survey/decides_income"] == ("5.a",)
    assert sdg.questions["/data/survey/violence_12m"] == ("5.2.1",)
    assert sdg.questions["/data/survey/child/in_school"] == ("4.1.1",)
    assert "/data/consent" not in sdg.questions and "/data/safe_now" not in sdg.questions


def test_health_post_and_escuela_sdg_mappings():
    health = fixture("health_post", validate=False).sdg
    assert health.form == ("3",)
    assert health.questions["/data/quake_damage"] == ("11.5.2",)
    assert health.questions["/data/staff_doctors"] == ("3.c.1",)
    escuela = fixture("escuela", validate=False, ignore_warnings=True).sdg
    assert escuela.form == ("4",)
    assert escuela.questions["/data/comedor"] == ("2.1.1",)
    assert escuela.questions["/data/servicios"] == ("4.a.1",)


def test_pyxform_warnings_raise_400_16_unless_ignored():
    with pytest.raises(XLSFormWarnings) as caught:
        fixture("escuela", validate=False)
    assert caught.value.code == 400.16
    assert any("max-pixels" in w for w in caught.value.warnings)
    assert caught.value.to_problem()["details"]["warnings"] == caught.value.warnings
    form = fixture("escuela", validate=False, ignore_warnings=True)
    assert any("max-pixels" in w for w in form.warnings)


def shared_list_form() -> bytes:
    return build_xlsx(
        [
            ["type", "name", "label", "sdg", "disaggregation"],
            ["select_one sex", "respondent_sex", "Your sex", "", "sex"],
            ["begin_group", "hh", "Household", "", ""],
            ["select_one sex", "head_sex", "Head's sex", "5.1, 5.5.1", "SEX"],
            ["integer", "age", "Age", "", "age"],
            ["end_group", "", "", "", ""],
            ["text", "village", "Village", "11", "location"],
        ],
        [
            ["list_name", "name", "label", "sdg"],
            ["sex", "female", "Female", "5.B.1"],
            ["sex", "male", "Male", ""],
        ],
        {"form_id": "hh", "version": "7", "sdg": "5 10", "sms_keyword": " hh2 "},
    )


def test_choice_codes_resolve_to_every_question_using_the_list():
    form = compile_upload(shared_list_form(), XLSX, validate=False)
    assert form.sdg.choices == {
        ("/data/respondent_sex", "female"): ("5.b.1",),
        ("/data/hh/head_sex", "female"): ("5.b.1",),
    }
    assert form.sdg.questions == {"/data/hh/head_sex": ("5.1", "5.5.1"), "/data/village": ("11",)}
    assert form.sdg.form == ("5", "10")


def test_disaggregation_column_and_sms_keyword_are_read_and_normalised():
    form = compile_upload(shared_list_form(), XLSX, validate=False)
    assert form.disaggregation == {
        "/data/respondent_sex": "sex",
        "/data/hh/head_sex": "sex",
        "/data/hh/age": "age",
        "/data/village": "location",
    }
    assert form.sms_keyword == "HH2"
    assert (form.form_id, form.version) == ("hh", "7")


def test_extension_headers_are_matched_regardless_of_case_and_spaces():
    data = build_xlsx(
        [["type", "name", "label", "SDG", " Disaggregation "], ["text", "a", "A", "5.1", "Age"]],
        settings={"SMS_Keyword": "kw", "Sdg": "5"},
    )
    form = compile_upload(data, XLSX, validate=False)
    assert form.sdg.questions == {"/data/a": ("5.1",)} and form.sdg.form == ("5",)
    assert form.disaggregation == {"/data/a": "age"} and form.sms_keyword == "KW"


def test_sdg_mapping_round_trips_through_json():
    mapping = compile_upload(shared_list_form(), XLSX, validate=False).sdg
    again = SdgMapping.from_json(json.loads(json.dumps(mapping.to_json())))
    assert again == mapping
    assert SdgMapping.from_json(SdgMapping().to_json()) == SdgMapping()


def test_xls_workbook_compiles():
    data = build_xls(simple_survey(3), {"form_id": "legacy", "sms_keyword": "old1"})
    form = compile_upload(data, "application/vnd.ms-excel", validate=False)
    assert form.form_id == "legacy" and form.sms_keyword == "OLD1"
    assert form.xlsform_content_type == "application/vnd.ms-excel"
    assert b"<q3/>" in form.xml


def test_form_id_comes_from_settings_then_fallback_header_then_file_name():
    without_id = build_xlsx(simple_survey(1))
    with_id = build_xlsx(simple_survey(1), settings={"form_id": "from_settings"})
    sniff = "application/octet-stream"
    assert compile_upload(with_id, XLSX, fallback_form_id="fb", validate=False).form_id == (
        "from_settings"
    )
    assert (
        compile_upload(without_id, sniff, "f.xlsx", fallback_form_id="fb", validate=False).form_id
        == "fb"
    )
    assert compile_upload(without_id, sniff, "water 2.xlsx", validate=False).form_id == "water 2"
    assert compile_upload(without_id, None, validate=False).form_id == "data"


def test_form_without_settings_has_no_keyword_and_empty_version():
    form = compile_upload(build_xlsx(simple_survey(1)), XLSX, validate=False)
    assert form.sms_keyword is None and form.version == "" and form.sdg == SdgMapping()


def test_set_version_rewrites_only_the_primary_instance_version():
    xml = fixture("water_point", validate=False).xml
    new_xml, md5 = set_version(xml, 'v2 "&" <b>')
    assert md5 == hashlib.md5(new_xml).hexdigest()
    assert primary_instance(new_xml).get("version") == 'v2 "&" <b>'
    assert new_xml.replace(b'version="v2 &quot;&amp;&quot; &lt;b&gt;"', b"") == xml.replace(
        b'version="2026112601"', b""
    )


def test_set_version_adds_the_attribute_when_missing():
    xml = compile_upload(build_xlsx(simple_survey(1)), XLSX, validate=False).xml
    assert primary_instance(xml).get("version") is None
    new_xml, _ = set_version(xml, "3")
    assert compile_upload(new_xml, "application/xml", validate=False).version == "3"


def test_xform_upload_reads_id_version_title_and_media():
    xlsx = compile_upload(shared_list_form(), XLSX, validate=False)
    form = compile_upload(xlsx.xml, "text/xml; charset=utf-8", validate=False)
    assert (form.form_id, form.version, form.title) == ("hh", "7", "hh")
    assert form.sdg == SdgMapping() and form.sms_keyword is None
    assert form.xlsform is None and form.xlsform_content_type is None
    assert form.xml == xlsx.xml and form.validated is False


def test_xform_sniffed_from_octet_stream_by_content():
    xml = compile_upload(build_xlsx(simple_survey(1)), XLSX, validate=False).xml
    assert (
        compile_upload(b"\xef\xbb\xbf" + xml, "application/octet-stream", validate=False).form_id
        == "data"
    )


def test_two_thousand_questions_compile_without_validate():
    survey = simple_survey(2000, extra_header=["sdg"])
    survey[1].append("5.2.1")
    form = compile_upload(build_xlsx(survey), XLSX, validate=False)
    assert form.xml.count(b"<bind ") >= 2000
    assert form.sdg.questions == {"/data/q1": ("5.2.1",)}


@needs_java
def test_three_hundred_questions_compile_with_validate():
    form = compile_upload(build_xlsx(simple_survey(300)), XLSX)
    assert form.validated is True and b"<q300/>" in form.xml

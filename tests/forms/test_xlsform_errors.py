"""Bad uploads: each gives a typed, coded error naming the cell where it can, never a raw one."""

import zipfile
from io import BytesIO

import pytest

from forms.errors import (
    FormError,
    FormIdMismatch,
    UnsupportedUpload,
    UploadTooLarge,
    XFormParseError,
    XLSFormError,
)
from forms.xlsform import compile_upload
from tests.forms.xlsform_builder import build_xlsx, simple_survey

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def compile_xlsx(data: bytes, **kwargs):
    return compile_upload(data, XLSX, validate=False, **kwargs)


def cell_of(error: XLSFormError) -> tuple:
    return error.sheet, error.row, error.column


def test_duplicate_question_names_name_the_row():
    data = build_xlsx([["type", "name", "label"], ["text", "a", "A"], ["integer", "a", "B"]])
    with pytest.raises(XLSFormError) as caught:
        compile_xlsx(data)
    assert cell_of(caught.value) == ("survey", 3, "name")
    assert "unique" in caught.value.message


def test_unknown_question_type_names_the_row_and_type_column():
    data = build_xlsx([["type", "name", "label"], ["text", "a", "A"], ["foo_bar", "b", "B"]])
    with pytest.raises(XLSFormError) as caught:
        compile_xlsx(data)
    assert cell_of(caught.value) == ("survey", 3, "type")
    assert "foo_bar" in caught.value.message


def test_duplicate_choice_names_name_the_choices_row():
    data = build_xlsx(
        [["type", "name", "label"], ["select_one yn", "a", "A"]],
        [["list_name", "name", "label"], ["yn", "y", "Y"], ["yn", "y", "Y2"]],
    )
    with pytest.raises(XLSFormError) as caught:
        compile_xlsx(data)
    assert cell_of(caught.value) == ("choices", 3, "name")


@pytest.mark.parametrize(
    ("survey_sdg", "choice_sdg", "settings_sdg", "cell"),
    [
        ("5.2.1 5.9.9", "", "5", ("survey", 3, "sdg")),
        ("", "18", "5", ("choices", 3, "sdg")),
        ("", "", "6 5.x", ("settings", 2, "sdg")),
        ("five", "", "5", ("survey", 3, "sdg")),
    ],
)
def test_unknown_sdg_code_names_sheet_row_and_column(survey_sdg, choice_sdg, settings_sdg, cell):
    data = build_xlsx(
        [
            ["type", "name", "label", "sdg"],
            ["text", "a", "A", ""],
            ["select_one yn", "b", "B", survey_sdg],
        ],
        [
            ["list_name", "name", "label", "sdg"],
            ["yn", "yes", "Yes", ""],
            ["yn", "no", "No", choice_sdg],
        ],
        {"form_id": "f", "sdg": settings_sdg},
    )
    with pytest.raises(XLSFormError) as caught:
        compile_xlsx(data)
    assert cell_of(caught.value) == cell
    assert caught.value.to_problem()["details"]["row"] == cell[1]


@pytest.mark.parametrize("value", ["gender", "sex age"])
def test_disaggregation_outside_sex_age_location_names_the_cell(value):
    data = build_xlsx([["type", "name", "label", "disaggregation"], ["text", "a", "A", value]])
    with pytest.raises(XLSFormError) as caught:
        compile_xlsx(data)
    assert cell_of(caught.value) == ("survey", 2, "disaggregation")


@pytest.mark.parametrize("keyword", ["two words", "MAJI!", "maji-2"])
def test_sms_keyword_must_be_one_word_of_letters_and_digits(keyword):
    data = build_xlsx(simple_survey(1), settings={"form_id": "f", "sms_keyword": keyword})
    with pytest.raises(XLSFormError) as caught:
        compile_xlsx(data)
    assert cell_of(caught.value) == ("settings", 2, "sms_keyword")


@pytest.mark.parametrize("column", ["form_id", "id_string"])
def test_form_id_with_a_slash_names_the_settings_cell(column):
    data = build_xlsx(simple_survey(1), settings={column: "water/point"})
    with pytest.raises(XLSFormError) as caught:
        compile_xlsx(data)
    assert cell_of(caught.value) == ("settings", 2, column)


@pytest.mark.parametrize("survey", [None, []])
def test_missing_or_empty_survey_sheet_names_the_survey_sheet(survey):
    with pytest.raises(XLSFormError) as caught:
        compile_xlsx(build_xlsx(survey, settings={"form_id": "f"}))
    assert caught.value.sheet == "survey" and "survey" in caught.value.message


@pytest.mark.parametrize("data", [b"PK\x03\x04 not really a zip", b"hello, not a workbook"])
def test_corrupt_xlsx_is_an_xlsform_error(data):
    with pytest.raises(XLSFormError) as caught:
        compile_xlsx(data)
    assert caught.value.code == 400.15


def test_zip_without_a_workbook_inside_is_an_xlsform_error():
    out = BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(XLSFormError):
        compile_xlsx(out.getvalue())


def test_corrupt_xls_is_an_xlsform_error():
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"x" * 600
    with pytest.raises(XLSFormError):
        compile_upload(data, "application/vnd.ms-excel", validate=False)


def zip_with_zeros(size: int) -> bytes:
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(size // len(chunk)):
                member.write(chunk)
    return out.getvalue()


def test_zip_bomb_renamed_xlsx_is_refused_before_parsing(monkeypatch):
    def must_not_run(*args, **kwargs):
        raise AssertionError("the workbook reader ran on a zip bomb")

    monkeypatch.setattr("pyxform.xls2json_backends.get_xlsform", must_not_run)
    bomb = zip_with_zeros(101 * 1024 * 1024)
    assert len(bomb) < 1024 * 1024
    with pytest.raises(UploadTooLarge) as caught:
        compile_upload(bomb, "application/octet-stream", "bomb.xlsx", validate=False)
    assert caught.value.code == 413.1 and "uncompress" in caught.value.message


def test_member_with_extreme_compression_ratio_is_refused():
    with pytest.raises(UploadTooLarge) as caught:
        compile_xlsx(zip_with_zeros(20 * 1024 * 1024))
    assert "compression ratio" in caught.value.message


def test_upload_over_max_bytes_is_too_large():
    data = build_xlsx(simple_survey(2))
    with pytest.raises(UploadTooLarge):
        compile_xlsx(data, max_bytes=len(data) - 1)


@pytest.mark.parametrize("data", [b"", b"  \n"])
def test_empty_file_is_a_clear_error(data):
    with pytest.raises(XLSFormError, match="empty"):
        compile_xlsx(data)
    with pytest.raises(XFormParseError, match="empty"):
        compile_upload(data, "application/xml")


@pytest.mark.parametrize(
    ("content_type", "filename"),
    [("image/png", "form.xlsx"), ("application/json", None), ("application/octet-stream", "a.png")],
)
def test_wrong_content_type_or_extension_is_unsupported(content_type, filename):
    with pytest.raises(UnsupportedUpload) as caught:
        compile_upload(build_xlsx(simple_survey(1)), content_type, filename)
    assert int(caught.value.code) == 415


def test_unrecognisable_bytes_without_a_name_are_unsupported():
    with pytest.raises(UnsupportedUpload):
        compile_upload(b"\x89PNG\r\n\x1a\n....", None)


XFORM = b"""<h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml">
<h:head><h:title>T</h:title><model><instance><data id="%s"/></instance></model></h:head>
<h:body/></h:html>"""


@pytest.mark.parametrize(
    "xml",
    [
        b'<!DOCTYPE lol [<!ENTITY lol "lol">]>' + XFORM % b"&lol;",
        b'<?xml version="1.0"?><!DOCTYPE html SYSTEM "http://example.invalid/x.dtd">'
        + XFORM % b"a",
    ],
)
def test_xml_with_dtd_or_entities_is_refused(xml):
    with pytest.raises(XFormParseError) as caught:
        compile_upload(xml, "application/xml", validate=False)
    assert "DTD" in caught.value.message


@pytest.mark.parametrize(
    "xml",
    [b"<h:html", XFORM % b"", XFORM.replace(b'<data id="%s"/>', b""), XFORM % b"a/b"],
)
def test_broken_xform_or_missing_form_id_is_a_parse_error(xml):
    with pytest.raises(XFormParseError):
        compile_upload(xml, "text/xml", validate=False)


def test_unexpected_pyxform_exception_becomes_an_xlsform_error(monkeypatch):
    def broken(*args, **kwargs):
        raise KeyError("surprise")

    monkeypatch.setattr("pyxform.xls2xform.convert", broken)  # loaded when used
    with pytest.raises(XLSFormError, match="surprise"):
        compile_xlsx(build_xlsx(simple_survey(1)))


def test_errors_have_central_problem_shape():
    data = build_xlsx([["type", "name", "label"], ["text", "a", "A"], ["text", "a", "B"]])
    with pytest.raises(FormError) as caught:
        compile_xlsx(data)
    problem = caught.value.to_problem()
    assert problem["code"] == 400.15
    assert problem["details"]["error"] == problem["message"]
    assert problem["details"]["warnings"] == []
    assert (problem["details"]["sheet"], problem["details"]["row"]) == ("survey", 3)


def test_form_id_mismatch_is_400_8():
    problem = FormIdMismatch(expected="water_point", actual="escuela").to_problem()
    assert problem["code"] == 400.8 and "escuela" in problem["message"]

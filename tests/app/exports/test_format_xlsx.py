"""submissions.xlsx: the CSV's columns on the first sheet, a sheet per repeat, typed cells."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, time

import pytest
from openpyxl import load_workbook

from tests.app.exports.samples import HP_XML, safe_xml, wp_xml

WP_XML = wp_xml('=HYPERLINK("http://x")')
SAFE_XML = safe_xml()


def _workbook(response):
    assert response.status_code == 200, response.data[:300]
    assert response.mimetype == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    return load_workbook(io.BytesIO(response.data))


def _sheet(book, index: int = 0) -> list[list]:
    return [list(r) for r in book.worksheets[index].iter_rows(values_only=True)]


def test_first_sheet_has_the_csv_columns_and_typed_cells(client, project, viewer,
                                                         publish_fixture, submit):
    headers, actor_id = viewer
    publish_fixture(project, "water_point")
    submit(WP_XML, submitter_id=actor_id, device_id="collect:abc")
    base = f"/v1/projects/{project}/forms/water_point/submissions"

    book = _workbook(client.get(base + ".xlsx", headers=headers))
    rows = _sheet(book)
    table = list(csv.reader(io.StringIO(client.get(base + ".csv", headers=headers)
                                        .data.decode())))
    assert book.sheetnames == ["water_point"]
    assert rows[0] == table[0]
    assert len(rows) == len(table) == 2
    cells = dict(zip(rows[0], rows[1], strict=True))
    text = dict(zip(table[0], table[1], strict=True))
    assert cells["wp-days_broken"] == 12 and isinstance(cells["wp-days_broken"], int)
    assert cells["wp-price"] == 2.5
    assert cells["wp-location-Latitude"] == -0.0917
    assert cells["wp-location-Accuracy"] == 4.5
    assert cells["start"] == datetime(2026, 11, 20, 6, 0)  # UTC
    assert isinstance(cells["SubmissionDate"], datetime)
    assert cells["SubmissionDate"].strftime("%Y-%m-%dT%H:%M:%S") == text["SubmissionDate"][:19]
    assert cells["SubmitterID"] == actor_id
    assert cells["Edits"] == 0
    assert cells["wp-who_fetches"] == "women girls"
    # Text from the public is text, never a formula.
    assert cells["wp-comments"] == '=HYPERLINK("http://x")'
    assert book.worksheets[0].cell(2, rows[0].index("wp-comments") + 1).data_type == "s"
    # Every other cell holds what the CSV holds.
    for name, value in cells.items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            assert float(text[name]) == value, name
        elif isinstance(value, str):
            assert text[name] == value, name
        elif value is None:
            assert text[name] == "", name


def test_a_sheet_per_repeat_with_keys_and_dates(client, project, viewer, publish_fixture,
                                                submit):
    headers, _ = viewer
    publish_fixture(project, "sdg5_safety")
    publish_fixture(project, "health_post")
    submit(SAFE_XML)
    submit(HP_XML)

    book = _workbook(client.get(f"/v1/projects/{project}/forms/sdg5_safety/submissions.xlsx",
                                headers=headers))
    assert book.sheetnames == ["sdg5_safety", "sdg5_safety-child"]
    children = _sheet(book, 1)
    assert children[0] == ["child_pos", "child_age", "child_sex", "in_school", "PARENT_KEY",
                           "KEY"]
    assert children[1:] == [
        ["1", 5, "girl", "yes", "uuid:safe-1", "uuid:safe-1/survey/child[1]"],
        ["2", 9, "boy", "no", "uuid:safe-1", "uuid:safe-1/survey/child[2]"]]
    root = _sheet(book)
    cells = dict(zip(root[0], root[1], strict=True))
    assert (cells["consent"], cells["safe_now"], cells["survey-age"]) == ("yes", "yes", 34)

    book = _workbook(client.get(f"/v1/projects/{project}/forms/health_post/submissions.xlsx"
                                "?splitSelectMultiples=true", headers=headers))
    rows = _sheet(book)
    cells = dict(zip(rows[0], rows[1], strict=True))
    assert cells["visit_date"] == datetime(2026, 11, 2)  # openpyxl reads dates as datetimes
    assert book.worksheets[0].cell(2, rows[0].index("visit_date") + 1).is_date
    assert cells["distance_km"] == 4.25
    assert cells["stockouts/ors"] == 1 and cells["stockouts/iron"] == 1
    assert isinstance(cells["stockouts/ors"], int)
    assert date(2026, 11, 2) == cells["visit_date"].date()


def test_filters_and_access(client, project, viewer, sent_by_sms_and_collect, make_user,
                            login):
    headers, _ = viewer
    sent_by_sms_and_collect(WP_XML)
    url = f"/v1/projects/{project}/forms/water_point/submissions.xlsx"

    def keys(query: str) -> list[str]:
        rows = _sheet(_workbook(client.get(url + query, headers=headers)))
        return [r[rows[0].index("KEY")] for r in rows[1:]]

    assert keys("") == ["uuid:wp-2", "uuid:wp-1"]
    assert keys("?channel=sms") == ["uuid:wp-1"]
    assert keys("?reviewState=approved") == []
    assert keys("?formVersion=nope") == []
    assert keys("?$filter=__id eq 'uuid:wp-2'") == ["uuid:wp-2"]
    assert client.get(url + "?since=yesterday", headers=headers).status_code == 400

    make_user("collector@example.org", roles={project: "formfill"})
    assert client.get(url, headers=login("collector@example.org")).status_code == 403


@pytest.mark.parametrize("suffix", ["xlsx", "geojson", "jsonl", "sav", "dta"])
def test_data_collectors_get_403_and_strangers_401(client, project, publish_fixture,
                                                   make_user, login, suffix):
    publish_fixture(project, "water_point")
    make_user("collector@example.org", roles={project: "formfill"})
    url = f"/v1/projects/{project}/forms/water_point/submissions.{suffix}"
    assert client.get(url, headers=login("collector@example.org")).status_code == 403
    assert client.get(url).status_code == 401


def test_registered_formats_produce_without_a_request(app, project, publish_fixture, submit,
                                                      tmp_path):
    """Jobs and `flask export` call the writers through the registry, outside any request."""
    import json
    import zipfile

    import pyreadstat

    from app.exports import formats
    from app.exports.spec import ExportSpec

    form = publish_fixture(project, "sdg5_safety")
    submit(SAFE_XML)

    def produce(name: str, **options) -> bytes:
        return b"".join(formats.produce(ExportSpec(form_id=form.id, format=name, **options)))

    book = load_workbook(io.BytesIO(produce("xlsx")))
    assert book.sheetnames == ["sdg5_safety", "sdg5_safety-child"]
    assert [json.loads(x)["instanceId"] for x in produce("jsonl").splitlines()] == [
        "uuid:safe-1"]
    assert json.loads(produce("geojson")) == {"type": "FeatureCollection", "features": []}
    for name, read in (("sav", pyreadstat.read_sav), ("dta", pyreadstat.read_dta)):
        path = tmp_path / f"x.{name}"
        path.write_bytes(produce(name, language="sw"))
        _frame, meta = read(str(path))
        assert meta.column_names_to_labels["age"] == "Una umri gani?"
        names = zipfile.ZipFile(io.BytesIO(produce(f"{name}.zip"))).namelist()
        assert names == [f"sdg5_safety.{name}", f"sdg5_safety-child.{name}"]
    with pytest.raises(LookupError, match="'Klingon'; the form's languages are: English"):
        produce("sav", language="Klingon")


def test_a_table_beyond_excels_row_limit_continues_on_a_new_sheet(client, project, viewer,
                                                                   publish_fixture, submit,
                                                                   monkeypatch):
    from app.exports import xlsx_export

    headers, _ = viewer
    publish_fixture(project, "water_point")
    for n in range(5):
        submit(WP_XML.replace("uuid:wp-1", f"uuid:wp-{n}"))
    monkeypatch.setattr(xlsx_export, "MAX_ROWS", 3)  # header + 2 rows per sheet
    book = _workbook(client.get(f"/v1/projects/{project}/forms/water_point/submissions.xlsx",
                                headers=headers))
    assert book.sheetnames == ["water_point", "water_point~2", "water_point~3"]
    sheets = [_sheet(book, i) for i in range(3)]
    assert all(s[0] == sheets[0][0] for s in sheets)
    keys = [r[sheets[0][0].index("KEY")] for s in sheets for r in s[1:]]
    assert keys == [f"uuid:wp-{n}" for n in (4, 3, 2, 1, 0)]


def test_cells_typed_text_never_a_formula_or_link_and_cleaned(tmp_path):
    import zipfile

    import xlsxwriter

    from app.exports import xlsx_export

    path = tmp_path / "cells.xlsx"
    book = xlsxwriter.Workbook(str(path), {**xlsx_export._OPTIONS, "tmpdir": str(tmp_path)})
    sheet = book.add_worksheet("s")
    xlsx_export._Cells(book).write(
        sheet, 1, ["text", "time", "text", "int", "text", "text", "date", "dateTime", "decimal"],
        ["a < b & \"c\"\x01", "10:30:00.000+03:00", " padded ", "12345678901234567",
         "=1+2", "http://example.org", "1850-01-01", "2026-11-20T09:00:00.000+03:00", "nan"])
    book.close()

    xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "hyperlink" not in xml.lower()
    assert 't="inlineStr"' in xml  # constant_memory: strings inline, rows written in order
    assert "xl/sharedStrings.xml" not in zipfile.ZipFile(path).namelist()
    assert '<t xml:space="preserve"> padded </t>' in xml
    ws = load_workbook(path).worksheets[0]
    values = [c.value for c in ws[2]]
    assert values[0] == 'a < b & "c"'  # a character XML cannot carry is dropped
    assert values[1] == time(10, 30) and ws["B2"].number_format == "hh:mm:ss"
    assert values[2:6] == [" padded ", "12345678901234567", "=1+2", "http://example.org"]
    assert all(ws.cell(2, n).data_type == "s" for n in (1, 3, 4, 5, 6, 7, 9))
    assert values[6] == "1850-01-01"  # before Excel's epoch: text
    assert values[7] == datetime(2026, 11, 20, 6, 0)
    assert ws["H2"].number_format == "yyyy-mm-dd hh:mm:ss"
    assert values[8] == "nan"


def test_sheet_names_are_valid_for_excel():
    from app.exports.xlsx_export import _sheet_name

    seen: set[str] = set()
    assert _sheet_name("a/b:c*d?[e]", seen) == "a_b_c_d__e_"
    assert _sheet_name("History", seen) == "History_"
    long = "x" * 30 + "'yz"
    assert _sheet_name(long, seen) == "x" * 30
    assert _sheet_name(long, seen) == "x" * 29 + "~2"
    assert _sheet_name("A_B_C_D__E_", seen) == "A_B_C_D__E_~2"


def test_no_temporary_files_left_after_an_export_or_a_failure(app, project, publish_fixture,
                                                              submit, tmp_path, monkeypatch):
    import tempfile

    from app.exports import formats
    from app.exports.spec import ExportSpec

    form = publish_fixture(project, "sdg5_safety")
    submit(SAFE_XML)
    spool = tmp_path / "spool"
    spool.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spool))
    data = b"".join(formats.produce(ExportSpec(form_id=form.id, format="xlsx")))
    assert load_workbook(io.BytesIO(data)).sheetnames == ["sdg5_safety", "sdg5_safety-child"]
    assert list(spool.iterdir()) == []

    from app.exports.spec import Source
    from app.exports.xlsx_export import write_xlsx

    def broken():
        raise RuntimeError("database went away")
        yield []

    source = Source(ExportSpec(form_id=form.id, format="xlsx"))
    options = formats.csv_options(source)
    with pytest.raises(RuntimeError):
        b"".join(write_xlsx(formats._csv_layout(source, options), options, broken()))
    assert list(spool.iterdir()) == []

"""submissions.sav / .dta: read back with pyreadstat — names, variable and value labels in
the language asked for, codes, 0/1 select-multiple columns, dates, repeats as a zip."""
from __future__ import annotations

import io
import math
import sys
import zipfile
from datetime import date, datetime

import pyreadstat
import pytest

from app.extensions import db
from tests.app.exports.samples import HP_XML, safe_xml

SAFE_XML = safe_xml()

ESCUELA_XML = """<data id="escuela" version="1"><provincia>chaco</provincia>
<escuela>Escuela N° 12</escuela><alumnos>240</alumnos><alumnas>118</alumnas>
<servicios>electricidad agua</servicios><comedor>si</comedor><foto/>
<ubicacion>-27.45 -58.98 52 10</ubicacion><problema>Faltan docentes</problema>
<meta><instanceID>uuid:es-1</instanceID></meta></data>"""
ESCUELA_XML_2 = """<data id="escuela" version="1"><provincia>salta</provincia>
<escuela>Rural 3</escuela><alumnos>31</alumnos><alumnas/>
<servicios/><comedor>no</comedor><foto/><ubicacion/><problema/>
<meta><instanceID>uuid:es-2</instanceID></meta></data>"""


READERS = {"sav": pyreadstat.read_sav, "dta": pyreadstat.read_dta}


def _read(content: bytes, fmt: str, tmp_path, name: str = "x"):
    path = tmp_path / f"{name}.{fmt}"
    path.write_bytes(content)
    return READERS[fmt](str(path))


def _get(client, url: str, headers: dict):
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.data[:300]
    return response


@pytest.mark.parametrize("fmt", ["sav", "dta"])
def test_labels_codes_and_types_in_two_languages(client, project, viewer, published, tmp_path, fmt):
    headers, _ = viewer
    published("escuela", ESCUELA_XML, ESCUELA_XML_2)
    url = f"/v1/projects/{project}/forms/escuela/submissions.{fmt}"

    response = _get(client, url, headers)
    assert response.mimetype == ("application/x-spss-sav" if fmt == "sav"
                                 else "application/x-stata-dta")
    assert 'filename="escuela.' + fmt + '"' in response.headers["Content-Disposition"]
    frame, meta = _read(response.data, fmt, tmp_path)
    labels = meta.column_names_to_labels
    # Spanish is the form's default language.
    assert labels["alumnos"] == "¿Cuántos alumnos tiene la escuela?"
    assert labels["servicios_electricidad"] == "¿Qué servicios tiene la escuela?: Electricidad"
    provincias = meta.variable_value_labels["provincia"]
    assert provincias == {1: "Buenos Aires", 2: "Chaco", 3: "Salta", 4: "Jujuy", 5: "Misiones"}
    assert meta.variable_value_labels["comedor"] == {1: "Sí", 2: "No"}

    rows = {r["KEY"]: r for r in frame.to_dict("records")}
    first, second = rows["uuid:es-1"], rows["uuid:es-2"]
    assert first["provincia"] == 2 and second["provincia"] == 3
    assert first["alumnos"] == 240 and first["alumnas"] == 118
    assert math.isnan(second["alumnas"])
    assert first["escuela"] == "Escuela N° 12"
    assert first["servicios"] == "electricidad agua"
    assert first["servicios_electricidad"] == 1 and first["servicios_agua"] == 1
    assert first["servicios_internet"] == 0
    assert math.isnan(second["servicios_agua"])  # not answered is missing, not "no"
    assert first["ubicacion_lat"] == -27.45 and first["ubicacion_lon"] == -58.98
    assert first["ubicacion_alt"] == 52 and first["ubicacion_acc"] == 10
    assert isinstance(first["SubmissionDate"], datetime)
    assert first["Edits"] == 0

    english, meta = _read(_get(client, url + "?language=en", headers).data, fmt, tmp_path, "en")
    assert meta.column_names_to_labels["alumnos"] == "How many pupils does the school have?"
    assert meta.variable_value_labels["comedor"] == {1: "Yes", 2: "No"}
    assert meta.column_names_to_labels["servicios_internet"] == (
        "Which services does the school have?: Internet for teaching")
    assert len(english) == 2
    for asked in ("English (en)", "English", "EN"):
        assert client.get(url + f"?language={asked}", headers=headers).status_code == 200


@pytest.mark.parametrize("fmt", ["sav", "dta"])
def test_dates_and_non_latin_labels(client, project, viewer, published,
                                    tmp_path, fmt):
    headers, _ = viewer
    published("health_post", HP_XML)
    url = f"/v1/projects/{project}/forms/health_post/submissions.{fmt}?language=ne"
    frame, meta = _read(_get(client, url, headers).data, fmt, tmp_path)
    row = frame.to_dict("records")[0]
    assert row["visit_date"] in (date(2026, 11, 2), datetime(2026, 11, 2))
    assert meta.original_variable_types["visit_date"] in ("DATE11", "%td")
    assert row["distance_km"] == 4.25
    assert meta.column_names_to_labels["visit_date"] == "भ्रमण मिति"
    assert meta.variable_value_labels["district"][2] == "गोरखा"
    assert row["district"] == 2
    assert row["stockouts_ors"] == 1 and row["stockouts_amox"] == 0


@pytest.mark.parametrize("fmt", ["sav", "dta"])
def test_sav_zip_holds_a_table_per_repeat(client, project, viewer, published, tmp_path, fmt):
    headers, _ = viewer
    published("sdg5_safety", SAFE_XML)
    url = f"/v1/projects/{project}/forms/sdg5_safety/submissions.{fmt}"
    alone, _ = _read(_get(client, url, headers).data, fmt, tmp_path, "alone")
    assert alone["KEY"].tolist() == ["uuid:safe-1"]  # .sav/.dta: the submissions table
    response = _get(client, url + ".zip?language=sw", headers)
    assert response.mimetype == "application/zip"
    assert f'filename="sdg5_safety.{fmt}.zip"' in response.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert archive.namelist() == [f"sdg5_safety.{fmt}", f"sdg5_safety-child.{fmt}"]
    root, root_meta = _read(archive.read(f"sdg5_safety.{fmt}"), fmt, tmp_path, "root")
    child, meta = _read(archive.read(f"sdg5_safety-child.{fmt}"), fmt, tmp_path, "child")
    assert root["KEY"].tolist() == ["uuid:safe-1"]
    assert root_meta.column_names_to_labels["safe_now"].startswith("Je, ni salama kwako")
    assert root_meta.variable_value_labels["consent"] == {1: "Ndiyo", 2: "Hapana"}
    assert (root["consent"].tolist(), root["safe_now"].tolist()) == ([1], [1])
    assert root_meta.column_names_to_labels["age"] == "Una umri gani?"
    assert root["age"].tolist() == [34]
    # decides_income "jointly" is not a listed choice: the next code, labelled with itself.
    assert root_meta.variable_value_labels["decides_income"] == {
        1: "Ndiyo", 2: "Hapana", 3: "jointly"}
    assert root["decides_income"].tolist() == [3]
    assert child["PARENT_KEY"].tolist() == ["uuid:safe-1", "uuid:safe-1"]
    assert child["KEY"].tolist() == ["uuid:safe-1/survey/child[1]",
                                     "uuid:safe-1/survey/child[2]"]
    assert child["child_age"].tolist() == [5, 9]
    assert meta.column_names_to_labels["child_age"] == "Umri wa mtoto ${child_pos}?"
    assert meta.variable_value_labels["child_sex"] == {1: "Msichana", 2: "Mvulana"}


def test_unknown_language_is_a_400_naming_it(client, project, viewer, publish_fixture):
    headers, _ = viewer
    publish_fixture(project, "escuela")
    for fmt in ("sav", "dta", "sav.zip", "dta.zip"):
        response = client.get(f"/v1/projects/{project}/forms/escuela/submissions.{fmt}"
                              "?language=Klingon", headers=headers)
        assert response.status_code == 400
        body = response.get_json()
        assert "Klingon" in body["message"] and "English (en)" in body["message"]


def test_filters_and_phone_privacy(client, project, viewer, publish_fixture, submit,
                                   make_user, login, tmp_path):
    from app.services.forms import create_form
    from forms.xlsform import compile_upload
    from tests.app.exports.samples import NUMBER, PHONE_FORM, PHONE_XML, personal_hash

    headers, _ = viewer
    publish_fixture(project, "escuela")
    submit(ESCUELA_XML, channel="sms")
    submit(ESCUELA_XML_2, channel="collect")
    url = f"/v1/projects/{project}/forms/escuela/submissions.sav"
    frame, _ = _read(_get(client, url + "?channel=sms", headers).data, "sav", tmp_path)
    assert frame["KEY"].tolist() == ["uuid:es-1"]
    frame, _ = _read(_get(client, url + "?formVersion=nope", headers).data, "sav", tmp_path)
    assert len(frame) == 0

    create_form(project, compile_upload(PHONE_FORM.encode(), "application/xml", "h.xml",
                                        validate=False), None, publish=True)
    db.session.commit()
    submit(PHONE_XML)
    url = f"/v1/projects/{project}/forms/hotline/submissions.dta"
    frame, _ = _read(_get(client, url, headers).data, "dta", tmp_path, "h")
    assert frame["phone"].tolist() == [personal_hash(NUMBER)]
    assert client.get(url + "?phoneNumbers=clear", headers=headers).status_code == 403
    make_user("manager@example.org", roles={project: "manager"})
    frame, _ = _read(_get(client, url + "?phoneNumbers=clear",
                          login("manager@example.org")).data, "dta", tmp_path, "c")
    assert frame["phone"].tolist() == [NUMBER]


def test_variable_names_are_valid_and_unique():
    from app.exports.stats_export import Variable, name_variables, valid_name

    assert valid_name("wp-county", "sav") == "wp_county"
    assert valid_name("1st", "sav") == "v1st"
    assert valid_name("_x", "dta") == "v_x"
    assert valid_name("with", "sav") == "with_"
    assert valid_name("int", "dta") == "int_"
    assert valid_name("str12", "dta") == "str12_"
    assert valid_name("niño", "sav") == "nino"
    assert len(valid_name("x" * 100, "sav")) == 64 and len(valid_name("x" * 100, "dta")) == 32
    variables = [Variable(i, base, "", "text") for i, base in
                 enumerate(["Age", "age", "age", "x" * 40, "x" * 40])]
    name_variables(variables, "dta")
    names = [v.name for v in variables]
    assert names[:3] == ["Age", "age_2", "age_3"]
    assert len({n.lower() for n in names}) == 5 and all(len(n) <= 32 for n in names)


def test_integer_choice_names_are_their_own_codes():
    from app.exports.stats_export import _codes
    from forms.model import Choice, Field

    numeric = Field("/data/q", "q", "question", "string", control="select1", choices=(
        Choice("1", {"en": "Never"}), Choice("5", {"en": "Often"}), Choice("9", {"en": "DK"})))
    assert _codes(numeric, "en") == ({"1": 1, "5": 5, "9": 9}, {1: "Never", 5: "Often", 9: "DK"})
    mixed = Field("/data/q", "q", "question", "string", control="select1", choices=(
        Choice("1", {"en": "One"}), Choice("x", {"en": "Ex"})))
    assert _codes(mixed, "en") == ({"1": 1, "x": 2}, {1: "One", 2: "Ex"})


@pytest.fixture
def without_stats_packages(monkeypatch):
    """This server as installed from requirements.txt alone: pyreadstat (and pandas) absent,
    so importing them fails as it would there."""
    for name in ("pyreadstat", "pandas"):
        monkeypatch.setitem(sys.modules, name, None)


@pytest.mark.parametrize("fmt", ["sav", "dta", "sav.zip", "dta.zip"])
def test_without_the_stats_packages_sav_and_dta_answer_501_saying_how_to_enable_them(
        client, project, viewer, published, without_stats_packages, fmt):
    headers, _ = viewer
    published("escuela", ESCUELA_XML)
    response = client.get(f"/v1/projects/{project}/forms/escuela/submissions.{fmt}",
                          headers=headers)
    assert response.status_code == 501
    problem = response.get_json()
    assert problem["code"] == 501.1 and problem["details"] == {"feature": f"{fmt} export"}
    assert "requirements-stats.txt" in problem["message"]
    # Every other format is served as before.
    csv = client.get(f"/v1/projects/{project}/forms/escuela/submissions.csv", headers=headers)
    assert csv.status_code == 200


def test_without_the_stats_packages_flask_export_exits_1_saying_how_to_enable_them(
        runner, project, published, without_stats_packages, tmp_path):
    published("escuela", ESCUELA_XML)
    out = tmp_path / "out.sav"
    result = runner.invoke(args=["export", "--project", str(project), "--form", "escuela",
                                 "--format", "sav", "--out", str(out)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "requirements-stats.txt" in result.output
    assert not out.exists()

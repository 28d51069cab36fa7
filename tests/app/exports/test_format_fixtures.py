"""Every shared form (tests/fixtures/forms = /work/shared/forms) through every format: what
each reader gets back is what the CSV export (itself checked against Central) holds."""
from __future__ import annotations

import csv
import io
import json
import math
import zipfile

import pyreadstat
import pytest
from openpyxl import load_workbook

from app.extensions import db

SAMPLES = {
    "water_point": """<data xmlns:orx="http://openrosa.org/xforms" id="water_point"
 version="2026112601"><start>2026-11-20T09:00:00.000+03:00</start>
<end>2026-11-20T09:12:00.000+03:00</end><consent>yes</consent><wp><county>turkana</county>
<ward>kondele</ward><water_source>other</water_source><source_other>Lorry</source_other>
<functional>yes</functional><days_broken/><minutes_to_fetch>30</minutes_to_fetch>
<who_fetches>men</who_fetches><price>10</price><households>7</households>
<location>3.119 35.597 500 8</location><comments>ok</comments></wp><thanks/>
<meta><instanceID>uuid:fx-1</instanceID></meta></data>""",
    "sdg5_safety": """<data xmlns:orx="http://openrosa.org/xforms" id="sdg5_safety" version="4">
<consent>yes</consent><safe_now>yes</safe_now><survey><age>19</age><sex>other</sex>
<county>arusha</county><safe_night>yes</safe_night><violence_12m>pns</violence_12m>
<violence_type/><reported/><why_not/><owns_phone>no</owns_phone>
<decides_income>no</decides_income><n_children>1</n_children><child><child_pos>1</child_pos>
<child_age>16</child_age><child_sex>girl</child_sex><in_school>no</in_school></child>
<story/></survey><thanks/><orx:meta><orx:instanceID>uuid:fx-1</orx:instanceID></orx:meta></data>""",
    "health_post": """<data id="health_post" version="2026.11.1"><visit_date>2026-10-30</visit_date>
<district>dolakha</district><facility>Jiri</facility><open_today>no</open_today>
<staff_doctors>0</staff_doctors><staff_nurses>1</staff_nurses><staff_total>1</staff_total>
<stockouts>paracetamol</stockouts><distance_km>12.5</distance_km><quake_damage>yes</quake_damage>
<birth_service>no</birth_service><notes>roof</notes><summary/>
<meta><instanceID>uuid:fx-1</instanceID></meta></data>""",
    "escuela": """<data id="escuela" version="1"><provincia>jujuy</provincia><escuela>N° 5</escuela>
<alumnos>80</alumnos><alumnas>41</alumnas><servicios>ninguno</servicios><comedor>no</comedor>
<foto/><ubicacion>-24.19 -65.3 1259 3</ubicacion><problema>Agua</problema>
<meta><instanceID>uuid:fx-1</instanceID></meta></data>""",
}


def _csv(client, url: str, headers: dict) -> list[dict]:
    rows = list(csv.reader(io.StringIO(client.get(url, headers=headers).data.decode())))
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_shared_form_in_every_format(client, project, viewer, publish_fixture, submit,
                                           tmp_path, name):
    from app.exports.jsonl_export import _Shape
    from app.models import Submission, SubmissionDef

    headers, _ = viewer
    form = publish_fixture(project, name)
    submit(SAMPLES[name])
    base = f"/v1/projects/{project}/forms/{name}/submissions"
    [expected] = _csv(client, base + ".csv", headers)
    stored = db.session.query(SubmissionDef).join(Submission).filter(
        Submission.form_id == form.id, SubmissionDef.current.is_(True)).one()
    root = stored.data["root"]

    # XLSX: the CSV's header and values, typed.
    book = load_workbook(io.BytesIO(client.get(base + ".xlsx", headers=headers).data))
    sheet = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
    cells = dict(zip(sheet[0], sheet[1], strict=True))
    assert list(cells) == list(expected)
    for column, text in expected.items():
        value = cells[column]
        if column == "SubmissionDate" or text == "":
            continue
        if isinstance(value, (int, float)):
            assert float(text) == value, column
        elif hasattr(value, "isoformat"):
            assert value.isoformat()[:10] in text or column in ("start", "end"), column
        else:
            assert value == text, column

    # JSON Lines: every stored root answer, at its place in the nested object.
    [line] = [json.loads(x) for x in client.get(base + ".jsonl", headers=headers)
              .data.decode().splitlines()]
    assert line["instanceId"] == "uuid:fx-1"
    shape_model = _model(form)
    shape = _Shape(shape_model, frozenset())
    for _f, _spec, steps in shape.leaves.get(None, ()):
        value = line["data"]
        for step in steps:
            value = value[step]
        raw = root.get(_f.path)
        if raw in (None, ""):
            assert value is None, _f.path
        elif isinstance(value, (int, float)):
            assert float(raw) == value, _f.path
        elif isinstance(value, list) and _f.type == "string":
            assert value == raw.split(), _f.path
        elif isinstance(value, str):
            assert value in (raw.strip(), raw.strip()[:10]) or _f.type == "dateTime", _f.path

    # SPSS and Stata: one row, the KEY, and every int/decimal answer.
    for fmt, read in (("sav", pyreadstat.read_sav), ("dta", pyreadstat.read_dta)):
        path = tmp_path / f"{name}.{fmt}"
        path.write_bytes(client.get(base + f".{fmt}", headers=headers).data)
        frame, meta = read(str(path))
        [row] = frame.to_dict("records")
        assert row["KEY"] == "uuid:fx-1"
        for f in shape_model.fields:
            if f.type in ("int", "decimal") and f.path in root and f.name in row:
                raw = root[f.path]
                assert (math.isnan(row[f.name]) if not raw else row[f.name] == float(raw)), \
                    (fmt, f.path)
        archive = zipfile.ZipFile(io.BytesIO(client.get(base + f".{fmt}.zip", headers=headers)
                                             .data))
        assert len(archive.namelist()) == 1 + len(shape_model.repeats())

    # GeoJSON: the default geopoint, where the form has one.
    features = json.loads(client.get(base + ".geojson", headers=headers).data)["features"]
    geo = [c for c in expected if c.endswith("-Latitude")]
    if geo:
        column = geo[0][:-len("-Latitude")]
        [feature] = features
        assert feature["geometry"]["coordinates"] == [
            float(expected[f"{column}-Longitude"]), float(expected[f"{column}-Latitude"]),
            float(expected[f"{column}-Altitude"])]
    else:
        assert features == []


def _model(form):
    from app.models import FormVersion
    from sync.schema import schema_for

    version = db.session.get(FormVersion, form.current_version_id)
    return schema_for(version.sha256, lambda: version.xml).model

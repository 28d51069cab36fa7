"""Exports leave nothing hidden or dangerous: a zip never holds two different files under one
name, and `?formulaSafe=true` neutralises cells a spreadsheet would run (issue 12, item 8)."""
from __future__ import annotations

import csv
import io
import zipfile

from app.exports.csv_export import formula_safe

ESCUELA = ('<data id="escuela" version="1"><provincia>salta</provincia><escuela>{school}</escuela>'
           '<alumnos>10</alumnos><alumnas>12</alumnas><servicios/><comedor/>'
           '<foto>{photo}</foto><ubicacion/><problema>{problem}</problema>'
           '<meta><instanceID>{iid}</instanceID></meta></data>')


def _escuela(iid: str, photo: str = "", school: str = "N 12", problem: str = "") -> str:
    return ESCUELA.format(iid=iid, photo=photo, school=school, problem=problem)


def test_two_different_photos_with_one_name_both_reach_the_zip_and_a_shared_one_once(
        client, project, viewer, publish_fixture, submit):
    headers, _ = viewer
    publish_fixture(project, "escuela")
    # Two phones whose cameras both named a photo 1700000000000.jpg, and a third that sent the
    # very same file as the first.
    submit(_escuela("uuid:e-1", "1700000000000.jpg"), files={"1700000000000.jpg": b"\xff\xd8one"})
    submit(_escuela("uuid:e-2", "1700000000000.jpg"), files={"1700000000000.jpg": b"\xff\xd8two"})
    submit(_escuela("uuid:e-3", "1700000000000.jpg"), files={"1700000000000.jpg": b"\xff\xd8one"})
    url = f"/v1/projects/{project}/forms/escuela/submissions.csv.zip"
    archive = zipfile.ZipFile(io.BytesIO(client.get(url, headers=headers).data))
    names = archive.namelist()
    assert len(names) == len(set(names))
    assert sorted(n for n in names if n.startswith("media/")) == [
        "media/1700000000000.jpg", "media/1700000000000~2.jpg"]
    assert {archive.read(n) for n in names if n.startswith("media/")} == {
        b"\xff\xd8one", b"\xff\xd8two"}


def test_formula_safe_csv_neutralises_formula_cells_but_not_numbers(
        client, project, viewer, publish_fixture, submit):
    headers, _ = viewer
    publish_fixture(project, "escuela")
    submit(_escuela("uuid:f-1", school="=HYPERLINK(\"http://x\",\"y\")",
                    problem="@SUM(A1:A9)"))
    url = f"/v1/projects/{project}/forms/escuela/submissions.csv"

    def row(query: str) -> dict[str, str]:
        rows = list(csv.reader(io.StringIO(client.get(url + query, headers=headers)
                                           .data.decode())))
        return dict(zip(rows[0], rows[1], strict=True))

    assert row("")["escuela"].startswith("=HYPERLINK")  # as Central: asked for, not imposed
    safe = row("?formulaSafe=true")
    assert safe["escuela"] == "'=HYPERLINK(\"http://x\",\"y\")"
    assert safe["problema"] == "'@SUM(A1:A9)"
    assert safe["alumnos"] == "10"
    zipped = zipfile.ZipFile(io.BytesIO(client.get(
        url + ".zip?formulaSafe=true", headers=headers).data)).read("escuela.csv").decode()
    assert "'=HYPERLINK" in zipped


def test_formula_safe_covers_every_leading_character_owasp_lists():
    for cell in ("=1+1", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1)", "\tx", "\rx"):
        assert formula_safe(cell) == "'" + cell
    for cell in ("-0.0917", "+254700000002", "12", "", "plain", None, 3.5):
        assert formula_safe(cell) == cell


def test_the_web_apps_downloads_are_always_formula_safe(
        app, project, viewer, publish_fixture, submit):
    from app.extensions import db
    from app.models import ExportJob
    from tests.app.web.ui.conftest import Browser

    publish_fixture(project, "escuela")
    submit(_escuela("uuid:w-1", school="=HYPERLINK(\"http://x\",\"y\")", problem="+1-2"))
    web = Browser(app.test_client())
    web.sign_in("viewer@example.org")
    web.get(f"/projects/{project}/downloads?form=escuela")
    started = web.post(f"/projects/{project}/downloads", {"form": "escuela",
                                                          "format": "csv.zip"})
    assert started.status_code == 302
    db.session.expire_all()
    job = db.session.scalars(db.select(ExportJob)).one()  # inline: done already
    got = web.client.get(f"/projects/{project}/downloads/{job.id}/file?form=escuela")
    assert got.status_code == 200
    rows = list(csv.reader(io.StringIO(
        zipfile.ZipFile(io.BytesIO(got.data)).read("escuela.csv").decode())))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["escuela"] == "'=HYPERLINK(\"http://x\",\"y\")" and row["problema"] == "'+1-2"

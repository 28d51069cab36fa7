"""Every bad upload from the issue gets a clear 4xx in Central's problem shape, never a 500."""
from __future__ import annotations

import io
import zipfile

import pytest

from tests.app.api.workbooks import XLSX, simple_form, xlsform

DTD_XFORM = b"""<?xml version="1.0"?>
<!DOCTYPE lol [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>
<h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml">
<h:head><h:title>&lol2;</h:title><model><instance><data id="x"><q/></data></instance>
<bind nodeset="/data/q" type="string"/></model></h:head>
<h:body><input ref="/data/q"><label>Q</label></input></h:body></h:html>"""


def _post(client, headers, pid, data, ctype=XLSX):
    return client.post(f"/v1/projects/{pid}/forms", data=data,
                       headers={**headers, "Content-Type": ctype})


def _zip_bomb() -> bytes:
    """A few hundred KB that inflate past the uncompressed limit, named like a workbook."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            chunk = b"\0" * (1 << 20)
            for _ in range(110):
                member.write(chunk)
    return out.getvalue()


BAD = {
    "corrupt_xlsx": (b"PK\x03\x04 this is not really a workbook", XLSX, 400),
    "xml_with_dtd": (DTD_XFORM, "application/xml", 400),
    "wrong_content_type": (simple_form(), "text/plain", 415),
    "duplicate_names": (xlsform([{"type": "text", "name": "age", "label": "A"},
                                 {"type": "integer", "name": "age", "label": "B"}],
                                settings={"form_id": "dup"}), XLSX, 400),
    "unknown_sdg": (xlsform([{"type": "text", "name": "q", "label": "Q", "sdg": "5.9.9"}],
                            settings={"form_id": "sdgx"}), XLSX, 400),
    "unknown_type": (xlsform([{"type": "texty", "name": "q", "label": "Q"}],
                             settings={"form_id": "typo"}), XLSX, 400),
    "missing_survey": (xlsform([{"type": "text", "name": "q", "label": "Q"}],
                               choices=[{"list_name": "yn", "name": "y", "label": "Yes"}],
                               survey_sheet="questions"), XLSX, 400),
    "slash_in_form_id": (simple_form("a/b"), XLSX, 400),
    "form_id_like_a_file": (simple_form("survey.xlsx"), XLSX, 400),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_upload_is_a_clear_4xx(client, admin_headers, make_project, case):
    data, ctype, status = BAD[case]
    response = _post(client, admin_headers, make_project(), data, ctype)
    body = response.get_json()
    assert response.status_code == status, body
    assert int(body["code"]) == status and body["message"]


def test_duplicate_question_names_name_the_row(client, admin_headers, make_project):
    data = BAD["duplicate_names"][0]
    body = _post(client, admin_headers, make_project(), data).get_json()
    assert body["code"] == 400.15
    assert body["details"]["error"] and body["details"]["row"] == 3
    assert body["details"]["warnings"] == []


def test_unknown_sdg_code_names_the_cell(client, admin_headers, make_project):
    body = _post(client, admin_headers, make_project(), BAD["unknown_sdg"][0]).get_json()
    assert "5.9.9" in body["message"]
    assert (body["details"]["sheet"], body["details"]["column"]) == ("survey", "sdg")


def test_zip_bomb_renamed_xlsx_is_refused(client, admin_headers, make_project):
    response = _post(client, admin_headers, make_project(), _zip_bomb())
    assert response.status_code in (400, 413), response.get_json()


class _Untouchable(io.RawIOBase):
    """A request body that fails the test if the server reads any of it."""

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    size = 50 * 1024 * 1024
    position = 0

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = 0) -> int:
        self.position = self.size if whence == 2 else offset
        return self.position

    def readinto(self, buffer) -> int:
        raise AssertionError("the body was read")


def test_oversize_upload_is_refused_before_reading(app, client, admin_headers, make_project):
    app.config["MAX_FORM_UPLOAD_BYTES"] = 1000
    pid = make_project()
    response = client.post(f"/v1/projects/{pid}/forms", input_stream=_Untouchable(),
                           headers={**admin_headers, "Content-Type": XLSX})
    assert response.status_code == 413 and response.get_json()["code"] == 413.1, response.data
    small = _post(client, admin_headers, pid, b"x" * 5000)
    assert small.status_code == 413


def test_two_thousand_questions_publish(client, admin_headers, make_project):
    pid = make_project()
    response = client.post(f"/v1/projects/{pid}/forms?publish=true",
                           data=simple_form("big", questions=2000),
                           headers={**admin_headers, "Content-Type": XLSX})
    assert response.status_code == 200, response.get_json()
    xml = client.get(f"/v1/projects/{pid}/forms/big.xml", headers=admin_headers).data
    assert b"/data/q2000" in xml

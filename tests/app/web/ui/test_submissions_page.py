"""The submissions table: keyset pages (no OFFSET), filters shared with the exports, the htmx
partial, and a submission's page."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import event

from app.extensions import db
from sync.ingest import ingest
from tests.app.exports.samples import wp_xml

ROWS = re.compile(r'<tr>\s*<td class="nowrap"><a href="[^"]+/submissions/uuid:wp-(\d+)"')


@pytest.fixture
def many(app, make_project, publish_fixture, web_as):
    project = make_project("Kisumu water")
    publish_fixture(project, "water_point")
    for i in range(60):
        xml = wp_xml().replace("uuid:wp-1", f"uuid:wp-{i}")
        if i % 10 == 0:
            xml = xml.replace("<functional>no</functional>", "<functional>yes</functional>")
        ingest(project_id=project, xml=xml.encode(), attachments={},
               channel="sms" if i % 2 else "collect", submitter_id=None, device_id=None,
               user_agent="test", form_id="water_point")
    db.session.commit()
    return project, web_as("viewer@example.org", roles={project: "viewer"})


def _ids(html: str) -> list[int]:
    return [int(i) for i in ROWS.findall(html)]


def test_pages_walk_older_and_newer_by_keyset_never_offset(many, app):
    project, web = many
    base = f"/projects/{project}/forms/water_point/submissions"
    statements: list[str] = []
    # (conn, cursor, statement, parameters, ...): SQLite always writes "LIMIT ? OFFSET ?".
    listener = lambda *args: statements.append((args[2], args[3]))  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        first = web.get(base).get_data(as_text=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert "60 submissions" in first
    assert not [s for s, params in statements if "OFFSET" in s.upper() and params[-1] != 0]
    page_one = _ids(first)
    assert len(page_one) == 50 and page_one[0] == 59
    older = re.search(r'rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    second = web.get(older).get_data(as_text=True)
    assert _ids(second) == list(range(9, -1, -1))
    assert 'rel="next"' not in second
    newer = re.search(r'rel="prev" href="([^"]+)"', second).group(1).replace("&amp;", "&")
    assert _ids(web.get(newer).get_data(as_text=True)) == page_one


def test_filters_are_the_exports_filters(many):
    project, web = many
    base = f"/projects/{project}/forms/water_point/submissions"
    page = web.get(base).get_data(as_text=True)
    for channel in ("collect", "sms", "ussd", "whatsapp"):  # every channel a citizen uses
        assert f'<option value="{channel}"' in page, channel
    assert "30 submissions" in web.get(f"{base}?channel=sms").get_data(as_text=True)
    html = web.get(f"{base}?reviewState=approved").get_data(as_text=True)
    assert "No submissions match." in html


def test_htmx_asks_for_the_table_alone(many):
    project, web = many
    html = web.get(f"/projects/{project}/forms/water_point/submissions",
                   headers={"HX-Request": "true", "HX-Target": "subs-table"}).get_data(
        as_text=True)
    assert html.startswith('<div id="subs-table">') and "<html" not in html


def test_chosen_columns_and_labels_in_the_forms_language(many):
    project, web = many
    base = f"/projects/{project}/forms/water_point/submissions"
    html = web.get(f"{base}?col=/data/wp/functional&lang=Kiswahili (sw)").get_data(as_text=True)
    assert "Je, kituo cha maji kinafanya kazi leo?" in html
    assert ">Hapana<" in html


def test_a_submission_shows_labels_map_and_history(many):
    project, web = many
    html = web.get(f"/projects/{project}/forms/water_point/submissions/uuid:wp-3").get_data(
        as_text=True)
    assert "Is the water point working today?" in html
    assert "<circle" in html and "Submitted" in html


def test_a_submission_is_read_with_the_version_it_was_made_with(
        app, make_project, publish_fixture, web_as):
    """After version 2 renames a choice, a version-1 submission keeps version 1's label."""
    import io

    import openpyxl

    from app.services import forms as form_service
    from forms.xlsform import compile_upload
    from tests.conftest import FIXTURE_FORMS

    project = make_project("Kisumu water")
    form = publish_fixture(project, "water_point")
    ingest(project_id=project, xml=wp_xml().encode(), attachments={}, channel="api",
           submitter_id=None, device_id=None, user_agent="test", form_id="water_point")
    book = openpyxl.load_workbook(FIXTURE_FORMS / "water_point.xlsx")
    for row in book["choices"].iter_rows():
        if row[1].value == "borehole":
            row[2].value = "Deep borehole"
    book["settings"]["C2"] = "2026120701"
    out = io.BytesIO()
    book.save(out)
    compiled = compile_upload(out.getvalue(), None, "water_point.xlsx", validate=False,
                              ignore_warnings=True)
    form_service.replace_draft(form, compiled, None)
    db.session.flush()
    db.session.expire(form)  # the service set the draft's id; reload the relationship
    form_service.publish_draft(form, None, None, ignore_warnings=True)
    db.session.commit()
    ingest(project_id=project, xml=wp_xml().replace("uuid:wp-1", "uuid:wp-2").replace(
        'version="2026112601"', 'version="2026120701"').encode(), attachments={},
        channel="api", submitter_id=None, device_id=None, user_agent="test",
        form_id="water_point")
    db.session.commit()
    web = web_as("viewer@example.org", roles={project: "viewer"})
    base = f"/projects/{project}/forms/water_point/submissions"
    old = web.get(f"{base}/uuid:wp-1").get_data(as_text=True)
    new = web.get(f"{base}/uuid:wp-2").get_data(as_text=True)
    assert "Borehole" in old and "Deep borehole" not in old
    assert "Deep borehole" in new

"""Who may see and do what in the web app: the same rules as the API (viewer vs manager vs
another project's manager vs data collector), through the Flask test client."""
from __future__ import annotations

import functools
import io

import pytest

from app.extensions import db
from sync.ingest import ingest
from tests.app.exports.samples import wp_xml

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def world(app, make_project, publish_fixture, web_as):
    """Project A with the water-point form and one submission; project B; four people."""
    a, b = make_project("Kisumu water"), make_project("Biratnagar health")
    publish_fixture(a, "water_point")
    publish_fixture(b, "health_post")
    ingest(project_id=a, xml=wp_xml().encode(), attachments={}, channel="api",
           submitter_id=None, device_id=None, user_agent="test", form_id="water_point")
    db.session.commit()
    return {
        "a": a, "b": b,
        "manager": web_as("manager@example.org", roles={a: "manager"}),
        "viewer": web_as("viewer@example.org", roles={a: "viewer"}),
        "collector": web_as("collector@example.org", roles={a: "formfill"}),
        "outsider": web_as("outsider@example.org", roles={b: "manager"}),
    }


READ_PAGES = [
    # (path template, who may: status for manager, viewer, collector, outsider)
    ("/projects/{a}", (200, 200, 200, 403)),
    ("/projects/{a}/forms/water_point", (200, 200, 200, 403)),
    ("/projects/{a}/forms/water_point/submissions", (200, 200, 403, 403)),
    ("/projects/{a}/forms/water_point/submissions/uuid:wp-1", (200, 200, 403, 403)),
    ("/projects/{a}/forms/new", (200, 403, 403, 403)),
    ("/projects/{a}/forms/water_point/try", (200, 403, 403, 403)),
    ("/projects/{a}/app-users", (200, 403, 403, 403)),
    ("/projects/{a}/channels", (200, 403, 403, 403)),
    ("/projects/{a}/downloads", (200, 200, 403, 403)),
    ("/projects/{a}/team", (200, 403, 403, 403)),
    ("/projects/{a}/erasure-requests", (200, 403, 403, 403)),
    ("/projects/{a}/forms/water_point/sms-cost", (200, 200, 200, 403)),
    ("/projects/{a}/pipeline", (200, 403, 403, 403)),
    ("/projects/{a}/dashboard/public", (200, 200, 403, 403)),
    ("/projects/{a}/dashboard/quotes", (200, 403, 403, 403)),
    ("/admin/users", (403, 403, 403, 403)),
    ("/admin/audits", (403, 403, 403, 403)),
    ("/admin/pipeline", (403, 403, 403, 403)),
]
WHO = ("manager", "viewer", "collector", "outsider")


@pytest.mark.parametrize(("path", "expected"), READ_PAGES)
def test_pages_answer_each_role_as_the_api_does(world, path, expected):
    for who, status in zip(WHO, expected, strict=True):
        response = world[who].get(path.format(**world))
        assert response.status_code == status, (who, path, response.status_code)


def test_a_project_list_shows_only_the_projects_one_has_a_role_on(world):
    html = world["outsider"].get("/").get_data(as_text=True)
    assert "Biratnagar health" in html and "Kisumu water" not in html


def test_only_managers_review_submissions(world):
    path = "/projects/{a}/forms/water_point/submissions/uuid:wp-1/review".format(**world)
    for who, status in (("viewer", 403), ("outsider", 403), ("collector", 403),
                        ("manager", 302)):
        web = world[who]
        web.get("/")
        response = web.post(path, {"reviewState": "approved", "comment": "checked on site"})
        assert response.status_code == status, who
    html = world["viewer"].get(path.rsplit("/", 1)[0]).get_data(as_text=True)
    assert "Approved" in html and "checked on site" in html


def test_only_managers_close_a_form(world):
    path = "/projects/{a}/forms/water_point/state".format(**world)
    world["viewer"].get("/")
    assert world["viewer"].post(path, {"state": "closed"}).status_code == 403
    world["manager"].get("/")
    assert world["manager"].post(path, {"state": "closed"}).status_code == 302
    html = world["manager"].get(path.rsplit("/", 1)[0]).get_data(as_text=True)
    assert "Reopen the form" in html


def test_a_broken_xlsform_lists_its_error_with_sheet_row_and_column(world):
    from tests.app.api.workbooks import xlsform

    broken = xlsform([{"type": "text", "name": "village", "label": "Village"},
                      {"type": "integr", "name": "people", "label": "People"}],
                     settings={"form_id": "census"})
    web = world["manager"]
    web.get("/projects/{a}/forms/new".format(**world))
    response = web.client.post("/projects/{a}/forms".format(**world), data={
        "csrf_token": web.token, "file": (io.BytesIO(broken), "broken.xlsx", XLSX)},
        content_type="multipart/form-data")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "broken.xlsx cannot be used yet" in html
    assert "Sheet: <strong>survey</strong>" in html and "Row: <strong>3</strong>" in html


def test_admins_see_administration_and_every_project(world, web_as):
    admin = web_as("admin@example.org", admin=True)
    for path in ("/admin/users", "/admin/audits", "/admin/pipeline",
                 "/projects/{b}/channels".format(**world)):
        assert admin.get(path).status_code == 200, path
    html = admin.get("/").get_data(as_text=True)
    assert "Kisumu water" in html and "Biratnagar health" in html


def test_a_viewer_downloads_but_may_not_ask_for_clear_numbers(world):
    web = world["viewer"]
    html = web.get("/projects/{a}/downloads".format(**world)).get_data(as_text=True)
    assert 'name="phoneNumbers"' not in html
    response = web.post("/projects/{a}/downloads".format(**world), {
        "form": "water_point", "format": "csv.zip", "phoneNumbers": "clear"})
    assert response.status_code == 403


def test_an_app_users_qr_code_is_shown_once_and_never_in_a_url(world):
    web = world["manager"]
    web.get("/projects/{a}/app-users".format(**world))
    response = web.post("/projects/{a}/app-users".format(**world),
                        {"displayName": "Amina's phone", "form": "water_point"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<svg class="qr"' in html and "/v1/key/" in html
    again = web.get("/projects/{a}/app-users".format(**world)).get_data(as_text=True)
    assert "Amina&#39;s phone" in again and "/v1/key/" not in again


@functools.cache
def _english(lang: str) -> tuple[str, ...]:
    """The catalogue's sentences (three words or more, no placeholder, as HTML escapes
    them) that `lang` says otherwise: in its pages each one is a leftover in English."""
    from babel.messages.pofile import read_po
    from markupsafe import escape

    from tests.app.web.ui.test_translations import TRANSLATIONS

    with (TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return tuple(str(escape(m.id)) for m in read_po(f, locale=lang)
                     if isinstance(m.id, str) and len(m.id.split()) >= 3 and "%(" not in m.id
                     and m.string != m.id)


@pytest.mark.parametrize("lang", ["en", "sw", "es", "ne"])
def test_every_page_works_in_each_language(world, web_as, lang):
    admin = web_as(f"admin-{lang}@example.org", admin=True)
    admin.post("/language", {"lang": lang, "next": "/"})
    pages = [path.format(**world) for path, _ in READ_PAGES] + ["/", "/logout", "/login"]
    for path in pages:
        response = admin.get(path)
        html = response.get_data(as_text=True)
        assert response.status_code in (200, 302), (lang, path)
        if response.status_code == 200:
            assert f'<html lang="{lang}">' in html, (lang, path)
            leftovers = [m for m in (_english(lang) if lang != "en" else ()) if m in html]
            assert not leftovers, (lang, path, leftovers[:5])


def test_a_running_export_polls_its_progress_and_a_done_one_offers_the_file(world):
    from app.exports import jobs
    from app.exports.spec import ExportSpec
    from app.services import forms as form_service

    form = form_service.get_form(world["a"], "water_point")
    job = jobs.create(ExportSpec(form_id=form.id, format="csv.zip"), None, total=200)
    jobs._set(job.id, status="running", rows=50)
    db.session.expire_all()  # the row was written on its own connection
    web = world["viewer"]
    path = "/projects/{a}/downloads/{job}?form=water_point".format(job=job.id, **world)
    html = web.get(path).get_data(as_text=True)
    assert 'hx-trigger="every 1s"' in html and 'value="0.25"' in html
    assert "50 of 200 submissions" in html
    jobs.run(job.id)
    db.session.expire_all()
    html = web.get(path).get_data(as_text=True)
    assert "hx-trigger" not in html and "Ready" in html
    assert web.client.get(path.replace("?", "/file?")).status_code == 200


def test_area_boundaries_are_the_dashboards_and_only_managers_set_them(world):
    path = "/projects/{a}/boundaries".format(**world)
    good = (b'{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
            b'{"name": "Kondele"}, "geometry": {"type": "Polygon", "coordinates": '
            b'[[[34.7, -0.1], [34.8, -0.1], [34.8, 0], [34.7, -0.1]]]}}]}')
    for who, body, status, message in (
            ("viewer", good, 403, None),
            ("manager", b"not json", 302, "were not saved"),
            ("manager", b'{"type": "Point", "coordinates": [1, 2]}', 302, "were not saved"),
            ("manager", good, 302, "1 areas saved")):
        web = world[who]
        web.get("/projects/{a}".format(**world))
        response = web.client.post(path, data={"csrf_token": web.token, "file": (
            io.BytesIO(body), "wards.geojson"), "match": "name"},
            content_type="multipart/form-data")
        assert response.status_code == status, who
        if message:
            assert message in web.get("/projects/{a}".format(**world)).get_data(as_text=True)
    html = world["viewer"].get(
        "/projects/{a}/forms/water_point/submissions/uuid:wp-1".format(**world)).get_data(
        as_text=True)
    assert "<path d=" in html

"""The coordinator's whole story from issue 10 in a real browser, on SQLite and PostgreSQL:
a broken XLSForm first, Kiswahili for part of it, every page checked by axe-core and
photographed at desktop and 360 px."""
from __future__ import annotations

import base64
import io
import re
import zipfile
from pathlib import Path

import openpyxl
import requests
from playwright.sync_api import expect

from tests.app.exports.samples import wp_xml
from tests.browser.conftest import pick_language, ready
from tests.conftest import FIXTURE_FORMS

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook(name: str, **changes) -> bytes:
    """A fixture form with some cells changed: {"survey!A8": "integr", "settings!C2": "2"}."""
    book = openpyxl.load_workbook(FIXTURE_FORMS / f"{name}.xlsx")
    for where, value in changes.items():
        sheet, cell = where.split("__")
        book[sheet][cell] = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def drop_file(page, selector: str, data: bytes, name: str) -> None:
    """Drag and drop a file onto the page's drop zone (a real DataTransfer)."""
    handle = page.evaluate_handle("""([data, name, type]) => {
        const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([bytes], name, {type}));
        return transfer; }""", [base64.b64encode(data).decode(), name, XLSX])
    page.dispatch_event(selector, "drop", {"dataTransfer": handle})


WARDS = ("kondele", "nyalenda_a", "kolwa_east", "manyatta_b")


def field_report(i: int, comments: str = "pump broken") -> str:
    """The i-th volunteer report of the water-point form: answers and places vary."""
    xml = wp_xml(comments).replace("uuid:wp-1", f"uuid:wp-{i}")
    xml = xml.replace("<location>-0.0917 34.768 1131.2 4.5</location>",
                      f"<location>{-0.0917 + (i % 5) * 0.011:.4f} {34.768 + (i % 4) * 0.013:.4f}"
                      " 1131.2 4.5</location>")
    xml = xml.replace("<ward>kolwa_east</ward>", f"<ward>{WARDS[i % len(WARDS)]}</ward>")
    if i % 3 == 0:
        xml = xml.replace("<functional>no</functional><days_broken>12</days_broken>",
                          "<functional>yes</functional><days_broken/>")
    return xml.replace("<minutes_to_fetch>45<", f"<minutes_to_fetch>{15 + i * 5}<")


def wards_geojson() -> bytes:
    """Three made-up ward polygons around the reports' places, as a project would upload."""
    import json

    def ward(name, west, south, east, north):
        ring = [[west, south], [east, south], [east, north - 0.004], [west + 0.006, north],
                [west, south]]
        return {"type": "Feature", "properties": {"name": name},
                "geometry": {"type": "Polygon", "coordinates": [ring]}}

    return json.dumps({"type": "FeatureCollection", "features": [
        ward("Kondele", 34.760, -0.098, 34.783, -0.070),
        ward("Nyalenda A", 34.783, -0.098, 34.812, -0.068),
        ward("Kolwa East", 34.760, -0.070, 34.812, -0.040)]}).encode()


def collect_submission(collect_url: str, xml: str) -> int:
    """What ODK Collect sends: a multipart POST to the server URL's /submission."""
    response = requests.post(f"{collect_url}/submission", files={
        "xml_submission_file": ("submission.xml", xml.encode(), "text/xml")},
        headers={"X-OpenRosa-Version": "1.0"}, timeout=30)
    return response.status_code


def test_coordinator_story(page, sign_in, axe, shot, live_server, tmp_path):
    # Sign in and create a project ----------------------------------------------------------
    sign_in(page, "coordinator@example.org", admin=True)
    page.get_by_label("Name").fill("Kisumu water watch")
    page.get_by_role("button", name="Create project").click()
    expect(page.get_by_role("heading", name="Forms")).to_be_visible()
    project_url = page.url
    shot(page, "project-empty", phone=False)

    # A broken XLSForm: every error with sheet, row and column ----------------------------------
    page.get_by_role("link", name="Upload a form").click()
    axe(page, "upload")
    page.get_by_label("XLSForm file").set_input_files(files=[{
        "name": "water_point.xlsx", "mimeType": XLSX,
        "buffer": workbook("water_point", survey__A9="integr")}])
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.get_by_role("heading", name="water_point.xlsx cannot be used yet")).to_be_visible()
    issue = page.locator(".issues li").first
    expect(issue).to_contain_text("Sheet: survey")
    expect(issue).to_contain_text("Row: 9")
    expect(issue).to_contain_text("Column: type")
    axe(page, "upload errors")
    shot(page, "upload-errors")

    # Fixed, dropped on the page ---------------------------------------------------------------
    ready(page)
    drop_file(page, ".dropzone", (FIXTURE_FORMS / "water_point.xlsx").read_bytes(),
              "water_point.xlsx")
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.get_by_text("water_point.xlsx uploaded as a draft")).to_be_visible()
    expect(page.get_by_text("Every question can be answered by SMS")).to_be_visible()
    expect(page.get_by_role("cell", name="Which county are you in?")).to_be_visible()
    expect(page.get_by_text("6.1.1 Proportion of population using safely managed")).to_have_count(3)
    axe(page, "draft")
    shot(page, "form-draft")
    form_url = page.url

    # Part of it in Kiswahili: the form's own Kiswahili labels, SDG titles from the catalogue --
    pick_language(page, "Language", "sw")
    expect(page.get_by_role("heading", name="Maswali na uhusiano wake na SDG")).to_be_visible()
    expect(page.get_by_role("cell", name="Uko kaunti gani?")).to_be_visible()
    axe(page, "draft (sw)")
    shot(page, "form-draft-sw")

    # Try the draft by SMS (in Kiswahili) and as USSD ----------------------------------------
    page.get_by_role("link", name="Ijaribu kwa SMS").click()
    ready(page)
    page.get_by_label("Ujumbe").fill("MAJI")
    page.get_by_role("button", name="Tuma").click()
    expect(page.locator(".bubble.out").first).to_contain_text("Je, unakubali kujibu")
    page.get_by_label("Ujumbe").fill("1")
    page.get_by_role("button", name="Tuma").click()
    expect(page.locator(".bubble.out")).to_have_count(2)
    axe(page, "try sms (sw)")
    shot(page, "try-sms-sw")
    pick_language(page, "Lugha", "en")
    page.get_by_role("link", name="Switch to USSD").click()
    ready(page)
    page.get_by_role("button", name="Reply").click()
    expect(page.locator("#chat")).to_contain_text("1.")
    shot(page, "try-ussd", phone=False)

    # Publish -----------------------------------------------------------------------------
    page.goto(form_url)
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Version 2026112601 is published.")).to_be_visible()
    expect(page.locator(".page-head .badge")).to_have_text("Open")

    # A field volunteer: an app user's QR code, forms assigned ------------------------------------
    page.goto(project_url + "/app-users")
    page.get_by_label("Name").fill("Amina, Kolwa East")
    page.get_by_role("button", name="Create and show its QR code").click()
    expect(page.locator("svg.qr")).to_be_visible()
    collect_url = page.get_by_label("Or type this server URL").input_value()
    assert collect_url.startswith(live_server.url + "/v1/key/") and "/v1/key/" not in page.url
    axe(page, "app user created")
    shot(page, "app-user-qr")
    assert collect_submission(collect_url, field_report(1, "pump broken since Monday")) == 201
    for i in range(2, 13):
        assert collect_submission(collect_url, field_report(i)) == 201
    page.get_by_label("Name").fill("Lost phone")
    page.get_by_role("button", name="Create and show its QR code").click()
    lost_url = page.get_by_label("Or type this server URL").input_value()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Revoke Lost phone").click()
    expect(page.get_by_text("Lost phone is revoked")).to_be_visible()
    assert collect_submission(lost_url, wp_xml().replace("wp-1", "wp-lost")) == 403

    # Version 2 and the versions list; close and reopen -------------------------------------
    page.goto(form_url)
    page.get_by_label("XLSForm file").set_input_files(files=[{
        "name": "water_point_v2.xlsx", "mimeType": XLSX,
        "buffer": workbook("water_point", settings__C2="2026120701")}])
    page.get_by_role("button", name="Upload as draft").click()
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Version 2026120701 is published.")).to_be_visible()
    expect(page.locator("#versions-title + ul li")).to_have_count(2)
    page.get_by_role("button", name="Close the form").click()
    expect(page.get_by_text("The form is closed")).to_be_visible()
    page.get_by_role("button", name="Reopen the form").click()
    expect(page.get_by_text("The form is open again.")).to_be_visible()
    axe(page, "form published")
    shot(page, "form-published")

    # Media files a form needs -------------------------------------------------------------
    from tests.app.api.workbooks import simple_form

    page.goto(project_url + "/forms/new")
    page.get_by_label("XLSForm file").set_input_files(files=[{
        "name": "site_visit.xlsx", "mimeType": XLSX,
        "buffer": simple_form("site_visit", logo=True)}])
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.locator("#media")).to_contain_text("missing")
    page.get_by_label("File for logo.png").set_input_files(files=[{
        "name": "logo.png", "mimeType": "image/png", "buffer": _png()}])
    page.get_by_role("button", name="Upload to the draft").click()
    expect(page.get_by_text("logo.png attached to the draft.")).to_be_visible()
    expect(page.locator("#media")).to_contain_text("uploaded")

    # An SMS channel: webhook URLs to copy, on/off, a test conversation, masked numbers ------------
    page.goto(project_url + "/channels")
    page.get_by_label("Number, short code or USSD code").fill("22555")
    page.get_by_role("button", name="Create channel").click()
    expect(page.get_by_text("Channel created.")).to_be_visible()
    webhook = page.get_by_label("Incoming messages (callback URL)").input_value()
    assert webhook.startswith(live_server.url + "/webhooks/")
    page.get_by_role("button", name="Turn off").click()
    expect(page.get_by_text("The channel is off.")).to_be_visible()
    page.get_by_role("button", name="Turn on").click()
    axe(page, "channels")
    page.get_by_role("link", name="Send a test conversation").click()
    ready(page)
    page.get_by_label("Message").fill("MAJI")
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".bubble.out").first).to_contain_text("water point")
    shot(page, "channel-test")
    page.get_by_role("link", name="Back to the channels").click()
    # The tester's number shows as the keyed hash's first digits, as in every export.
    expect(page.get_by_role("cell", name=re.compile(r"^#[0-9a-f]{10}"))).to_be_visible()
    expect(page.locator("#conversations-title + p")).to_contain_text("shown as a code")
    shot(page, "channels")

    # The project's own ward boundaries for its maps (no tile server) -------------------------
    page.goto(project_url)
    page.get_by_label("GeoJSON file").set_input_files(files=[{
        "name": "wards.geojson", "mimeType": "application/geo+json", "buffer": wards_geojson()}])
    page.get_by_role("button", name="Upload boundaries").click()
    expect(page.get_by_text("3 areas saved")).to_be_visible()

    # Submissions: the table, filters, one submission with its map, tags and review ----------------
    page.goto(form_url + "/submissions")
    expect(page.get_by_text("12 submissions")).to_be_visible()
    row = page.locator("#subs-table tbody tr").first
    expect(row).to_contain_text("Amina, Kolwa East")
    expect(row).to_contain_text("Kisumu")
    expect(page.locator("svg.map circle")).to_have_count(12)
    expect(page.locator("svg.map path")).to_have_count(3)
    axe(page, "submissions")
    shot(page, "submissions")
    page.get_by_label("Review state").select_option("approved")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_text("No submissions match.")).to_be_visible()
    page.goto(form_url + "/submissions/uuid:wp-1")
    expect(page.get_by_text("pump broken since Monday")).to_be_visible()
    expect(page.locator("svg.map circle")).to_have_count(1)
    expect(page.locator("#sdg-title + ul")).to_contain_text("from the form")
    page.get_by_label("Approved").check()
    page.get_by_label("Comment (optional)").fill("Checked with the ward officer.")
    page.get_by_role("button", name="Save review").click()
    expect(page.locator(".page-head .badge")).to_have_text("Approved")
    expect(page.locator("#comments")).to_contain_text("Checked with the ward officer.")
    expect(page.locator("#history-title + ul")).to_contain_text("Review state set")
    axe(page, "submission")
    shot(page, "submission")

    # Downloads: a CSV zip prepared as a job, then downloaded; the OData URL -----------------------
    page.goto(project_url + "/downloads")
    expect(page.get_by_label("OData feed URL")).to_have_value(re.compile(r"\.svc$"))
    page.get_by_label("CSV files in a zip").check()
    page.get_by_role("button", name="Prepare the file").click()
    expect(page.get_by_text("Ready")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV files in a zip (with photos)").click()
    path = Path(download.value.path())
    assert zipfile.ZipFile(path).namelist()[0] == "water_point.csv"
    axe(page, "downloads")
    shot(page, "downloads")

    # Administration: a web user with a role, the audit log, pipeline health ----------------------
    page.get_by_role("link", name="Administration").click()
    page.get_by_label("Email").fill("viewer@example.org")
    page.get_by_label("Password").fill("a long enough password")
    page.get_by_role("button", name="Create user").click()
    expect(page.get_by_text("viewer@example.org can now sign in.")).to_be_visible()
    user_row = page.locator("tr", has_text="viewer@example.org")
    user_row.get_by_label("Role").select_option("viewer")
    user_row.get_by_role("button", name=re.compile("^Give")).click()
    expect(page.locator("tr", has_text="viewer@example.org")).to_contain_text("Viewer")
    axe(page, "admin users")
    shot(page, "admin-users", phone=False)
    page.get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("cell", name="form.update.publish").first).to_be_visible()
    axe(page, "audit log")
    page.get_by_role("link", name="Pipeline").click()
    expect(page.get_by_text("Nothing has failed.", exact=True)).to_be_visible()
    expect(page.get_by_text("Nothing waits and nothing has failed.")).to_be_visible()
    axe(page, "pipeline")
    page.goto("/")
    axe(page, "projects")
    shot(page, "projects")


def _png() -> bytes:
    from tests.openrosa.fixtures import png

    return png()

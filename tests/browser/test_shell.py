"""The web app's shell in a real browser: sign in and out, languages, lockout, no JS."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import pick_language
from tests.conftest import PASSWORD


def test_sign_in_switch_language_and_sign_out(page, sign_in, axe, shot):
    page.goto("/")
    assert page.url.endswith("/login")
    axe(page, "sign-in")
    shot(page, "sign-in")
    sign_in(page, admin=True)
    assert page.get_by_role("heading", name="Projects").is_visible()
    page.get_by_label("Name").fill("Kisumu water watch")
    page.get_by_role("button", name="Create project").click()
    page.wait_for_url(re.compile(r"/projects/\d+$"))
    assert page.get_by_text("Project Kisumu water watch created.").is_visible()
    axe(page, "project")
    pick_language(page, "Language", "sw")
    expect(page.get_by_role("heading", name="Fomu")).to_be_visible()
    pick_language(page, "Lugha", "en")
    page.goto("/logout")
    page.get_by_role("button", name="Sign out", exact=True).click()
    page.wait_for_url(re.compile(r"/login$"))
    page.goto("/")
    assert page.url.endswith("/login")


def test_lockout_message_shows_in_the_browser(page, make_user, app):
    app.config["LOGIN_MAX_FAILURES"] = 2
    make_user("volunteer.lead@example.org")
    for _ in range(2):
        page.goto("/login")
        page.get_by_label("Email").fill("volunteer.lead@example.org")
        page.get_by_label("Password").fill("not the password")
        page.get_by_role("button", name="Sign in").click()
        assert page.get_by_role("alert").inner_text() == "Wrong email or password."
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    assert "Too many failed sign-in attempts" in page.get_by_role("alert").inner_text()


def test_sign_in_lists_and_downloads_work_without_javascript(browser, live_server, make_user,
                                                             make_project, publish_fixture):
    from app.extensions import db
    from sync.ingest import ingest
    from tests.app.exports.samples import wp_xml

    project = make_project("No-script CSO")
    publish_fixture(project, "water_point")
    ingest(project_id=project, xml=wp_xml().encode(), attachments={}, channel="api",
           submitter_id=None, device_id=None, user_agent="test", form_id="water_point")
    db.session.commit()
    make_user("nojs@example.org", admin=True)
    context = browser.new_context(java_script_enabled=False, base_url=live_server.url,
                                  accept_downloads=True)
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("Email").fill("nojs@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Projects")).to_be_visible()
    page.get_by_role("link", name="No-script CSO").click()
    page.get_by_role("link", name="1").click()  # the form's submission count
    expect(page.get_by_text("1 submission")).to_be_visible()
    page.get_by_role("link", name="Downloads").click()
    page.get_by_label("Excel workbook (XLSX)").check()
    page.get_by_role("button", name="Prepare the file").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download Excel workbook (XLSX)").click()
    assert download.value.suggested_filename == "water_point.xlsx"
    context.close()


def test_signing_in_with_the_keyboard_alone(page, make_user):
    make_user("keys@example.org", admin=True)
    page.goto("/login")
    assert page.evaluate("document.activeElement.id") == "email"  # focused on arrival
    page.keyboard.type("keys@example.org")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Projects")).to_be_visible()
    page.get_by_label("Name").focus()
    page.keyboard.type("Made with keys")
    page.keyboard.press("Tab")  # the description
    page.keyboard.press("Tab")  # the button
    page.keyboard.press("Enter")
    expect(page.get_by_text("Project Made with keys created.")).to_be_visible()

"""The manager's pages added for issue 10's gaps, in a real browser with axe and screenshots:
personal answers hashed then shown in clear on request, labels from a form's attached list, the
project's team (give and take away a role), its pipeline health, the citizens' erasure
requests and what an SMS survey costs; part of it in Kiswahili."""
from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import expect

from app.extensions import db
from app.models import ErasureRequest
from app.models.base import utcnow
from sync.ingest import ingest
from tests.app.exports.samples import personal_hash
from tests.app.web.ui.test_personal_pages import CHOICES, NUMBER, SURVEY, WARDS_CSV, XML
from tests.browser.conftest import pick_language, ready
from tests.forms.xlsform_builder import build_xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _project(make_project, publish_fixture, make_user) -> int:
    from app.messaging import channels
    from app.services.forms import create_form, set_attachment
    from forms.xlsform import compile_upload

    project = make_project("Kisumu hotline")
    publish_fixture(project, "water_point")
    data = build_xlsx(SURVEY, choices=CHOICES, settings={"form_id": "hotline", "version": "1"})
    form = create_form(project, compile_upload(data, XLSX, "hotline.xlsx", validate=False,
                                               ignore_warnings=True),
                       None, publish=True, ignore_warnings=True)
    set_attachment(form.current_version, "wards.csv", WARDS_CSV.encode(), "text/csv")
    channel = channels.create_channel(project, provider="simulator", kind="sms",
                                      address="22555", credentials={}, settings={},
                                      actor_id=None)
    now = utcnow()
    db.session.add_all([
        ErasureRequest(project_id=project, channel_id=channel.id, via="sms", status="erased",
                       requested_at=now - timedelta(hours=3), decided_at=now,
                       submissions=2, conversations=1, messages=9),
        ErasureRequest(project_id=project, channel_id=channel.id, via="ussd",
                       status="pending", requested_at=now)])
    db.session.commit()
    ingest(project_id=project, xml=XML.encode(), attachments={}, channel="collect",
           submitter_id=None, device_id=None, user_agent="test", form_id="hotline")
    db.session.commit()
    make_user("amina@example.org")
    return project


def test_a_managers_pages(page, sign_in, axe, shot, make_project, publish_fixture, make_user):
    project = _project(make_project, publish_fixture, make_user)
    sign_in(page, "manager@example.org", roles={project: "manager"})
    base = f"/projects/{project}"

    # A submission: personal answers as the hash, then in clear on request; list labels.
    page.goto(f"{base}/forms/hotline/submissions/uuid:p-1")
    answers = page.locator("dl.answers")
    expect(answers).to_contain_text(personal_hash(NUMBER))
    expect(answers).not_to_contain_text(NUMBER)
    expect(answers).to_contain_text("Kolwa East")
    expect(page.get_by_role("region", name="Child")).to_contain_text("Yes")
    expect(page.locator("#pipeline")).to_contain_text("Processed")
    axe(page, "submission (hashed)")
    page.get_by_role("link", name="Show them in clear (recorded in the audit log)").click()
    expect(answers).to_contain_text(NUMBER)
    shot(page, "submission-personal-clear")
    page.get_by_role("link", name="Hide them").click()
    expect(answers).not_to_contain_text(NUMBER)

    # The team: give a role by email, take it away.
    page.goto(base)
    page.get_by_role("link", name="Team").click()
    page.get_by_label("Email of a web user").fill("amina@example.org")
    page.get_by_label("Role", exact=True).select_option("viewer")
    page.get_by_role("button", name="Give the role").click()
    expect(page.get_by_text("amina@example.org has the role now.")).to_be_visible()
    axe(page, "team")
    shot(page, "team")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=re.compile(r"^Remove Viewer")).click()
    expect(page.get_by_text("Role taken away.")).to_be_visible()
    expect(page.locator("table")).not_to_contain_text("amina@example.org")

    # Pipeline health: everything processed (inline mode here).
    page.get_by_role("link", name="Pipeline").click()
    expect(page.get_by_text("Nothing waits and nothing has failed.")).to_be_visible()
    axe(page, "pipeline")

    # Citizens' side: erasure requests (never whose), the survey's cost by SMS.
    page.get_by_role("link", name="SMS & USSD").click()
    page.get_by_role("link", name="Erasure requests").click()
    expect(page.get_by_text("2 requests")).to_be_visible()
    expect(page.locator("tbody tr").nth(1)).to_contain_text("Erased")
    axe(page, "erasure requests")
    shot(page, "erasure-requests")
    page.goto(f"{base}/forms/water_point")
    page.get_by_role("link", name="What it costs by SMS").click()
    expect(page.get_by_role("row", name="Shortest way").first).to_be_visible()
    expect(page.get_by_role("columnheader", name="SMS parts we pay for").first).to_be_visible()
    axe(page, "sms cost")
    shot(page, "sms-cost")

    # The same pages in Kiswahili.
    ready(page)
    pick_language(page, "Language", "sw")
    expect(page.get_by_role("heading", name="Gharama ya utafiti")).to_be_visible()
    page.goto(f"{base}/team")
    expect(page.get_by_role("heading", name="Timu")).to_be_visible()
    page.goto(f"{base}/erasure-requests")
    expect(page.get_by_role("heading", name="Maombi ya kufuta")).to_be_visible()
    page.goto(f"{base}/pipeline")
    expect(page.get_by_text("Hakuna kinachosubiri na hakuna kilichoshindwa.")).to_be_visible()
    axe(page, "pipeline (sw)")
    pick_language(page, "Lugha", "en")

"""Choosing the quotes shown under a goal, in a real browser: the classifier-tagged answers
newest first, more than a page of them walked with "Older" and "Newer", one approved shortened
(it moves to the approved list) and withdrawn; axe on each, screenshots."""
from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.models import SdgTag
from sync.ingest import ingest
from tests.app.indicators.conftest import XLSX, instance, workbook
from tests.app.web.ui.test_dashboard_manage import STORY

STORIES = 55


def _project(make_project) -> tuple[int, int]:
    from app.services.forms import create_form
    from forms.xlsform import compile_upload

    pid = make_project("Safe Transport CSO")
    create_form(pid, compile_upload(workbook(), XLSX, "safety.xlsx", validate=False,
                                    ignore_warnings=True), None, publish=True)
    db.session.commit()
    for n in range(STORIES):
        ingest(project_id=pid, xml=instance(f"uuid:q{n:02}", sex="female", harassed="yes",
                                            story=f"{STORY} (told at stage {n})"),
               attachments={}, channel="collect", submitter_id=None, device_id=None)
    db.session.commit()
    goal = db.session.scalar(select(SdgTag.goal).where(SdgTag.source == "model",
                                                       SdgTag.field == "/data/story"))
    return pid, goal


def test_a_manager_walks_the_candidates_and_approves_one(page, sign_in, axe, shot,
                                                         make_project):
    pid, goal = _project(make_project)
    sign_in(page, "manager@example.org", roles={pid: "manager"})
    page.goto(f"/projects/{pid}/dashboard/quotes?goal={goal}")
    candidates = page.locator("form.quote-candidate")
    expect(candidates).to_have_count(50)
    expect(candidates.first).to_contain_text(f"told at stage {STORIES - 1})")
    axe(page, "quotes, first page")
    shot(page, "quotes")

    page.get_by_role("link", name="Older").click()
    expect(candidates).to_have_count(STORIES - 50)
    expect(candidates.last).to_contain_text("told at stage 0)")
    expect(page.get_by_role("link", name="Older")).to_have_count(0)
    axe(page, "quotes, older page")

    oldest = candidates.last
    oldest.get_by_label("Shorten or remove names before approving (optional)").fill(
        "Girls are harassed at the bus stage every evening.")
    oldest.get_by_role("button", name="Approve").click()
    expect(page.get_by_text("The quote is approved: it shows on the dashboard.")).to_be_visible()
    approved = page.locator("section[aria-labelledby=approved-title]")
    expect(approved).to_contain_text("Girls are harassed at the bus stage every evening.")
    shot(page, "quotes-approved")
    approved.get_by_role("button", name="Withdraw").click()
    expect(page.get_by_text("The quote is withdrawn from the dashboard.")).to_be_visible()
    expect(approved).to_contain_text("No quotes approved for this goal yet.")

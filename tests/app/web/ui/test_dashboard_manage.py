"""Managing the dashboard from the web app: public dashboards (create, edit, unpublish,
delete; /p/{slug} follows) and the quotes shown per goal (approve, withdraw; personal fields
never offered), with the API's services, messages and permissions, through the Flask test
client."""
from __future__ import annotations

import re
from html import unescape as html_unescape

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import ApprovedQuote, Form, Indicator, PublicDashboard, SdgTag
from tests.app.indicators.conftest import INDICATORS, SURVEY, XLSX, instance, workbook

STORY = ("Girls are harassed at the bus stage every evening and the police never come; "
         "women are afraid to walk home from the market after dark.")


@pytest.fixture
def world(app, make_project, web_as):
    """The safety form (three indicators) with two submissions, one of them with a story the
    classifier tags; its manager and viewer, and another project's manager."""
    from app.indicators import series
    from app.services.forms import create_form
    from forms.xlsform import compile_upload
    from sync.ingest import ingest

    app.config["INDICATOR_CACHE_SECONDS"] = 0
    series._cache.clear()
    pid = make_project("Safe Transport CSO")
    other = make_project("Elsewhere")
    form = create_form(pid, compile_upload(workbook(), XLSX, "safety.xlsx", validate=False,
                                           ignore_warnings=True), None, publish=True)
    db.session.commit()
    for iid, answers in (("uuid:s1", {"sex": "female", "harassed": "yes", "story": STORY}),
                         ("uuid:s2", {"sex": "male", "harassed": "no"})):
        ingest(project_id=pid, xml=instance(iid, **answers), attachments={},
               channel="collect", submitter_id=None, device_id=None)
    db.session.commit()
    ids = {i.code: i.id for i in db.session.scalars(select(Indicator))}
    return {"pid": pid, "form_id": form.id, "ids": ids,
            "manager": web_as("manager@example.org", roles={pid: "manager"}),
            "viewer": web_as("viewer@example.org", roles={pid: "viewer"}),
            "outsider": web_as("outsider@example.org", roles={other: "manager"})}


def _create(web, pid: int, **fields):
    web.get(f"/projects/{pid}/dashboard/public")
    body = {"title": "Safe transport in Kisumu", "slug": "kisumu-safety", "published": "1",
            "origins": "https://www.example.org\n"}
    body.update(fields)
    return web.post(f"/projects/{pid}/dashboard/public", body)


def test_a_manager_publishes_edits_unpublishes_and_deletes_a_board(world, client):
    pid, ids, web = world["pid"], world["ids"], world["manager"]
    page = web.get(f"/projects/{pid}/dashboard/public").get_data(as_text=True)
    assert 'name="slug"' in page and "Harassed on public transport" in page
    response = _create(web, pid, indicator=[str(ids["harassed"])])
    assert response.status_code == 302
    board = db.session.scalar(select(PublicDashboard))
    assert board.indicator_ids == [ids["harassed"]]
    assert board.allowed_origins == ["https://www.example.org"] and board.published
    listing = web.get(f"/projects/{pid}/dashboard/public").get_data(as_text=True)
    assert 'href="/p/kisumu-safety"' in listing
    public = client.get("/p/kisumu-safety")
    html = public.get_data(as_text=True)
    assert public.status_code == 200 and "Safe transport in Kisumu" in html
    assert "Harassed on public transport" in html and "Minutes to the nearest stage" not in html
    assert "frame-ancestors https://www.example.org" in public.headers["Content-Security-Policy"]
    # The dashboard links the boards and the pages that manage them.
    dashboard = web.get(f"/projects/{pid}/dashboard").get_data(as_text=True)
    assert f'href="/projects/{pid}/dashboard/public"' in dashboard
    assert f'href="/projects/{pid}/dashboard/quotes"' in dashboard

    # Edit: another title, other indicators, no embedding.
    response = web.post(f"/projects/{pid}/dashboard/public/{board.id}", {
        "title": "Getting to the stage", "slug": "kisumu-safety", "published": "1",
        "indicator": [str(ids["minutes"]), str(ids["harassed"])], "origins": ""})
    assert response.status_code == 302
    html = client.get("/p/kisumu-safety").get_data(as_text=True)
    assert "Getting to the stage" in html and "Safe transport in Kisumu" not in html
    assert html.index("Minutes to the nearest stage") < html.index("Harassed on public transport")
    assert "frame-ancestors 'none'" in client.get("/p/kisumu-safety").headers[
        "Content-Security-Policy"]

    # Unpublish, publish again, delete.
    web.get(f"/projects/{pid}/dashboard/public")
    assert web.post(f"/projects/{pid}/dashboard/public/{board.id}/published",
                    {"published": "0"}).status_code == 302
    assert client.get("/p/kisumu-safety").status_code == 404
    assert "not published" in web.get(f"/projects/{pid}/dashboard/public").get_data(
        as_text=True)
    web.post(f"/projects/{pid}/dashboard/public/{board.id}/published", {"published": "1"})
    assert client.get("/p/kisumu-safety").status_code == 200
    assert web.post(f"/projects/{pid}/dashboard/public/{board.id}/delete").status_code == 302
    assert client.get("/p/kisumu-safety").status_code == 404
    assert db.session.scalar(select(PublicDashboard)) is None


def test_the_services_refusals_show_in_the_form_with_what_was_typed(world):
    pid, ids, web = world["pid"], world["ids"], world["manager"]
    bad_slug = _create(web, pid, slug="Not A Slug", title="Kept title")
    html = bad_slug.get_data(as_text=True)
    assert bad_slug.status_code == 400
    assert "use 3-64 lower-case letters, digits and &#39;-&#39;" in html
    assert 'value="Kept title"' in html and 'value="Not A Slug"' in html
    bad_origin = _create(web, pid, origins="https://www.example.org/embed")
    assert bad_origin.status_code == 400
    assert "an origin is scheme://host[:port], no path" in bad_origin.get_data(as_text=True)
    assert db.session.scalar(select(PublicDashboard)) is None
    assert _create(web, pid, indicator=[str(ids["harassed"])]).status_code == 302
    taken = _create(web, pid, title="Another")
    assert taken.status_code == 409
    assert "already exists with slug value(s) of kisumu-safety" in taken.get_data(as_text=True)
    # An edit refused keeps the board as it was.
    board = db.session.scalar(select(PublicDashboard))
    refused = web.post(f"/projects/{pid}/dashboard/public/{board.id}", {
        "title": " ", "slug": "kisumu-safety", "published": "1"})
    assert refused.status_code == 400 and "must be text" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(PublicDashboard, board.id).title == "Safe transport in Kisumu"


def test_a_viewer_sees_the_links_but_no_controls_and_may_not_post(world):
    pid, ids = world["pid"], world["ids"]
    _create(world["manager"], pid, indicator=[str(ids["harassed"])])
    board = db.session.scalar(select(PublicDashboard))
    viewer = world["viewer"]
    page = viewer.get(f"/projects/{pid}/dashboard/public")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'href="/p/kisumu-safety"' in html
    assert 'name="slug"' not in html and "/delete" not in html and "/published" not in html
    dashboard = viewer.get(f"/projects/{pid}/dashboard").get_data(as_text=True)
    assert f"/projects/{pid}/dashboard/quotes" not in dashboard
    assert viewer.get(f"/projects/{pid}/dashboard/quotes").status_code == 403
    for path, body in ((f"/projects/{pid}/dashboard/public", {"slug": "mine", "title": "x"}),
                       (f"/projects/{pid}/dashboard/public/{board.id}", {"title": "x"}),
                       (f"/projects/{pid}/dashboard/public/{board.id}/published", {}),
                       (f"/projects/{pid}/dashboard/public/{board.id}/delete", {}),
                       (f"/projects/{pid}/dashboard/quotes?goal=5", {"form": "safety"}),
                       (f"/projects/{pid}/dashboard/quotes/1/delete", {})):
        assert viewer.post(path, body).status_code == 403, path
    db.session.expire_all()
    assert db.session.get(PublicDashboard, board.id).title == "Safe transport in Kisumu"


def test_another_projects_manager_gets_403_and_boards_stay_in_their_project(world, web_as,
                                                                            make_project):
    pid, ids = world["pid"], world["ids"]
    _create(world["manager"], pid, indicator=[str(ids["harassed"])])
    board = db.session.scalar(select(PublicDashboard))
    outsider = world["outsider"]
    for path in (f"/projects/{pid}/dashboard/public", f"/projects/{pid}/dashboard/quotes"):
        assert outsider.get(path).status_code == 403
    outsider.get("/")
    assert outsider.post(f"/projects/{pid}/dashboard/public/{board.id}/delete"
                         ).status_code == 403
    assert outsider.post(f"/projects/{pid}/dashboard/public",
                         {"slug": "theirs", "title": "x"}).status_code == 403
    # A manager of another project reaching this board through their own project: 404; and
    # this project's indicators cannot be put on their board.
    third = make_project("Third")
    theirs = web_as("third@example.org", roles={third: "manager"})
    theirs.get(f"/projects/{third}/dashboard/public")
    assert theirs.post(f"/projects/{third}/dashboard/public/{board.id}/delete"
                       ).status_code == 404
    stolen = _create(theirs, third, slug="stolen", indicator=[str(ids["harassed"])])
    assert stolen.status_code == 400 and "not indicators of this project" in stolen.get_data(
        as_text=True)
    assert db.session.scalar(select(PublicDashboard.id).where(
        PublicDashboard.slug == "stolen")) is None


def test_posts_without_the_csrf_token_are_refused(world):
    pid, web = world["pid"], world["manager"]
    web.get(f"/projects/{pid}/dashboard/public")
    for path in (f"/projects/{pid}/dashboard/public", f"/projects/{pid}/dashboard/quotes"):
        response = web.post(path, {"slug": "forged", "title": "Forged"}, csrf=False)
        assert response.status_code == 400, path
        assert "This form has expired" in response.get_data(as_text=True)
    assert db.session.scalar(select(PublicDashboard)) is None
    assert db.session.scalar(select(ApprovedQuote)) is None


def _story_goal() -> int:
    return db.session.scalar(select(SdgTag.goal).where(
        SdgTag.source == "model", SdgTag.field == "/data/story"))


def test_a_manager_approves_a_quote_it_shows_on_the_dashboard_and_is_withdrawn(world):
    pid, web = world["pid"], world["manager"]
    goal = _story_goal()
    assert goal, "the classifier tags the story"
    page = web.get(f"/projects/{pid}/dashboard/quotes?goal={goal}").get_data(as_text=True)
    assert STORY in page and 'name="instanceId" value="uuid:s1"' in page
    response = web.post(f"/projects/{pid}/dashboard/quotes?goal={goal}", {
        "form": "safety", "instanceId": "uuid:s1", "field": "/data/story",
        "text": "Girls are harassed at the bus stage."})
    assert response.status_code == 302
    dashboard = web.get(f"/projects/{pid}/dashboard").get_data(as_text=True)
    assert "Girls are harassed at the bus stage." in dashboard
    viewer = world["viewer"].get(f"/projects/{pid}/dashboard").get_data(as_text=True)
    assert "Girls are harassed at the bus stage." in viewer
    # Approved: listed with its withdraw button, no longer among the candidates.
    page = web.get(f"/projects/{pid}/dashboard/quotes?goal={goal}").get_data(as_text=True)
    assert "Girls are harassed at the bus stage." in page
    assert 'name="instanceId" value="uuid:s1"' not in page
    # An answer the classifier did not tag: the service's message.
    refused = web.post(f"/projects/{pid}/dashboard/quotes?goal={goal}", {
        "form": "safety", "instanceId": "uuid:s2", "field": "/data/sex"})
    assert refused.status_code == 302
    assert "no answer of this submission is tagged with that goal" in web.get(
        refused.headers["Location"]).get_data(as_text=True)
    quote = db.session.scalar(select(ApprovedQuote))
    assert web.post(f"/projects/{pid}/dashboard/quotes/{quote.id}/delete?goal={goal}"
                    ).status_code == 302
    assert "Girls are harassed at the bus stage." not in web.get(
        f"/projects/{pid}/dashboard").get_data(as_text=True)
    assert db.session.scalar(select(ApprovedQuote)) is None


def test_an_answer_to_a_personal_question_is_never_offered(world, login):
    """The coordinator marks `story` personal in version 2: the tagged answer given in
    version 1 is offered neither in the web page nor by the API, and cannot be approved."""
    from app.services.forms import publish_draft, replace_draft
    from forms.xlsform import compile_upload

    pid, web = world["pid"], world["manager"]
    form = db.session.get(Form, world["form_id"])
    goal = _story_goal()
    assert STORY in web.get(f"/projects/{pid}/dashboard/quotes?goal={goal}").get_data(
        as_text=True)
    survey = [[*row, "privacy"] if n == 0 else [*row, "personal" if row[1] == "story" else ""]
              for n, row in enumerate(SURVEY)]
    compiled = compile_upload(workbook(INDICATORS, survey=survey, version="2"), XLSX,
                              "safety.xlsx", validate=False, ignore_warnings=True)
    replace_draft(form, compiled, None)
    db.session.expire(form, ["draft_version"])
    publish_draft(form, None, None, ignore_warnings=True)
    db.session.commit()
    page = web.get(f"/projects/{pid}/dashboard/quotes?goal={goal}").get_data(as_text=True)
    assert STORY not in page and 'name="field" value="/data/story"' not in page
    headers = login("manager@example.org")
    api = web.client.get(f"/v1/projects/{pid}/quotes/candidates?goal={goal}",
                         headers=headers).get_json()
    assert all(c["field"] != "/data/story" for c in api)
    refused = web.client.post(f"/v1/projects/{pid}/quotes", json={
        "form": "safety", "instanceId": "uuid:s1", "field": "/data/story", "goal": goal},
        headers=headers)
    assert refused.status_code == 400
    web.post(f"/projects/{pid}/dashboard/quotes?goal={goal}", {
        "form": "safety", "instanceId": "uuid:s1", "field": "/data/story"})
    assert db.session.scalar(select(ApprovedQuote)) is None


def test_candidates_are_paged_newest_first_and_an_older_one_can_be_approved(world, login):
    """More tagged answers than a page holds: "Older" and "Newer" walk them without a gap or a
    repeat, the API says where its next page is, and the oldest (beyond the first page) can
    still be approved."""
    from sync.ingest import ingest

    pid, web = world["pid"], world["manager"]
    goal = _story_goal()
    for n in range(60):
        ingest(project_id=pid, xml=instance(f"uuid:p{n:02}", sex="female", harassed="yes",
                                            story=f"{STORY} ({n})"),
               attachments={}, channel="collect", submitter_id=None, device_id=None)
    db.session.commit()
    tagged = db.session.scalar(select(func.count()).select_from(SdgTag).where(
        SdgTag.source == "model", SdgTag.field == "/data/story", SdgTag.goal == goal))
    assert tagged == 61

    def shown(html: str) -> list[str]:
        return re.findall(r'name="instanceId" value="([^"]+)"', html)

    first = web.get(f"/projects/{pid}/dashboard/quotes?goal={goal}").get_data(as_text=True)
    assert shown(first) == [f"uuid:p{n:02}" for n in range(59, 9, -1)]
    assert 'rel="next"' in first and 'rel="prev"' not in first
    older = re.search(r'rel="next" href="([^"]+)"', first).group(1)
    second = web.get(html_unescape(older)).get_data(as_text=True)
    assert shown(second) == [f"uuid:p{n:02}" for n in range(9, -1, -1)] + ["uuid:s1"]
    assert 'rel="prev"' in second and 'rel="next"' not in second

    headers = login("manager@example.org")
    api = web.client.get(f"/v1/projects/{pid}/quotes/candidates?goal={goal}&limit=50",
                         headers=headers)
    assert [c["instanceId"] for c in api.get_json()] == shown(first)
    link = api.headers["Link"]
    assert link.endswith('rel="next"') and "offset=50" in link
    rest = web.client.get(link[1:link.index(">")], headers=headers)
    assert [c["instanceId"] for c in rest.get_json()] == shown(second)
    assert "Link" not in rest.headers

    approved = web.client.post(f"/v1/projects/{pid}/quotes", json={
        "form": "safety", "instanceId": "uuid:s1", "field": "/data/story", "goal": goal},
        headers=headers)
    assert approved.status_code == 201

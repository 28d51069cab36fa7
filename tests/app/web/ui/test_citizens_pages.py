"""The citizens' side for managers: erasure requests (never whose) and what an SMS or USSD
survey costs, per form and per channel; the same figures as the API's."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app.extensions import db
from app.models import ErasureRequest
from app.models.base import utcnow
from tests.helpers import simulator_channel


@pytest.fixture
def setup(app, make_project, publish_fixture, web_as, make_user):
    project = make_project("Kisumu water")
    other = make_project("Other")
    publish_fixture(project, "water_point")
    channel = simulator_channel(project, "ussd", "*384*55#")
    now = utcnow()
    db.session.add_all([
        ErasureRequest(project_id=project, channel_id=channel.id, via="ussd", status="erased",
                       requested_at=now - timedelta(hours=2), decided_at=now,
                       submissions=3, conversations=2, messages=17),
        ErasureRequest(project_id=project, via="sms", status="pending", requested_at=now),
        ErasureRequest(project_id=other, via="sms", status="kept", requested_at=now)])
    db.session.commit()
    return {"project": project, "channel": channel.id,
            "manager": web_as("manager@example.org", roles={project: "manager"}),
            "viewer": web_as("viewer@example.org", roles={project: "viewer"})}


def test_managers_see_the_erasure_requests_and_viewers_do_not(setup):
    p = setup["project"]
    html = setup["manager"].get(f"/projects/{p}/erasure-requests").get_data(as_text=True)
    assert "2 requests" in html and "*384*55#" in html
    assert re.search(r'<td class="num">3</td><td class="num">2</td><td class="num">17</td>', html)
    assert "Kept" not in html.split("<tbody>")[1]  # the other project's
    pending = setup["manager"].get(f"/projects/{p}/erasure-requests?status=pending")
    assert "1 request" in pending.get_data(as_text=True)
    assert setup["viewer"].get(f"/projects/{p}/erasure-requests").status_code == 403
    channels = setup["manager"].get(f"/projects/{p}/channels").get_data(as_text=True)
    assert f"/projects/{p}/erasure-requests" in channels


def _cells(html: str, row: str) -> list[str]:
    found = re.search(rf"<th scope=\"row\">{row}</th>(.*?)</tr>", html)
    return re.findall(r'<td class="num">(?:<strong>)?([\d,]+)', found.group(1))


def test_the_cost_page_shows_the_apis_figures(setup, client, login, app):
    p = setup["project"]
    web = setup["manager"]
    form_page = web.get(f"/projects/{p}/forms/water_point").get_data(as_text=True)
    assert f"/projects/{p}/forms/water_point/sms-cost" in form_page
    html = web.get(f"/projects/{p}/forms/water_point/sms-cost").get_data(as_text=True)
    api = client.get(f"/v1/projects/{p}/forms/water_point/sms-cost",
                     headers=login("manager@example.org")).get_json()
    english = api["languages"][0]
    assert english["language"] in html
    assert _cells(html, "Shortest way") == [str(english["shortest"][k]) for k in (
        "questions", "messagesIn", "messagesOut", "segments", "ucs2Segments")]
    assert _cells(html, "Longest way")[3] == str(english["longest"]["segments"])
    # On the USSD channel: screens, no SMS parts.
    ussd = web.get(f"/projects/{p}/forms/water_point/sms-cost?channel={setup['channel']}")
    text = ussd.get_data(as_text=True)
    assert "Screens we show" in text and "SMS parts we pay for" not in text
    channels = web.get(f"/projects/{p}/channels").get_data(as_text=True)
    assert f"sms-cost?channel={setup['channel']}" in channels.replace("&amp;", "&")
    assert web.get(f"/projects/{p}/forms/water_point/sms-cost?medium=fax").status_code == 400
    # A viewer may read the form, so the cost too (as the API lets it).
    assert setup["viewer"].get(f"/projects/{p}/forms/water_point/sms-cost").status_code == 200

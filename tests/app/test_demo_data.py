"""`flask demo --with-data`: made-up submissions of the four demo forms on every channel,
through the one door, and the demo indicators counting them; a second run adds nothing."""
from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.models import Actor, Indicator, IndicatorCell, Submission
from app.services import demo_data
from app.services.demo import run_demo


def test_demo_data_fills_every_form_and_indicator_once(app, tmp_path):
    info = run_demo(tmp_path, "http://localhost")
    assert demo_data.load(info.project_id, count=60, seed=7) == 60
    channels = set(db.session.scalars(select(Submission.channel).distinct()))
    assert {"collect", "sms", "ussd"} <= channels
    # Every row has a submitter, as pyodk requires: the demo phone, or the channel of its kind.
    submitters = dict(db.session.execute(
        select(Submission.channel, Actor.type).join(Actor, Actor.id == Submission.submitter_id)
        .distinct()).all())
    assert submitters == {"collect": "field_key", "sms": "channel", "ussd": "channel"}
    assert db.session.scalar(select(func.count(Submission.id)).where(
        Submission.submitter_id.is_(None))) == 0
    codes = {i.code: i for i in db.session.scalars(select(Indicator))}
    assert set(codes) == {body["code"] for body in demo_data.DEMO_INDICATORS}
    counted = dict(db.session.execute(select(IndicatorCell.indicator_id,
                                             func.sum(IndicatorCell.n))
                                      .group_by(IndicatorCell.indicator_id)).all())
    assert all(counted.get(i.id, 0) > 0 for i in codes.values()), counted
    assert all(i.errors == 0 and not i.rebuilding for i in codes.values())
    assert demo_data.load(info.project_id, count=60, seed=7) == 0
    assert db.session.scalar(select(func.count(Indicator.id))) == len(codes)
    assert db.session.scalar(select(func.count(Submission.id))) == 60

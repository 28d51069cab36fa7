"""`flask demo --with-data`: a few thousand plausible submissions of the four demo forms, on
every channel, through the one door (`sync.ingest`), and indicators declared on them.

Answers are drawn from a seeded generator with rates that differ by place and group, so the
dashboard has trends and gaps to show; free text comes from short citizen-style sentences
in the form's languages. Nothing here is real data.
"""
from __future__ import annotations

import inspect
import random
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from app.extensions import db
from app.models import Form, FormVersion, Submission
from forms.instance import build_instance
from forms.model import FormModel, parse_xform

CHANNELS = ("collect", "collect", "collect", "sms", "sms", "ussd")
START = date(2025, 1, 6)
DAYS = 690  # to late 2026

DEMO_INDICATORS: list[dict[str, Any]] = [
    {"code": "5.2.1-partner-violence", "sdg": "5.2.1", "form": "sdg5_safety",
     "kind": "proportion", "numerator": "${violence_12m} = 'yes'",
     "denominator": "${sex} = 'female' and (${violence_12m} = 'yes' or ${violence_12m} = 'no')",
     "disaggregateBy": [{"name": "age", "cuts": [18, 25, 50]},
                        {"name": "area", "field": "county"}, "channel"],
     "period": "quarter",
     "labels": {"en": "Women hurt by a partner in the last 12 months",
                "sw": "Wanawake walioumizwa na mwenzi katika miezi 12 iliyopita"}},
    {"code": "16.1.4-safe-at-night", "sdg": "16.1.4", "form": "sdg5_safety",
     "kind": "proportion", "numerator": "${safe_night} = 'yes'",
     "denominator": "${safe_night} != ''",
     "disaggregateBy": ["sex", {"name": "area", "field": "county"}], "period": "quarter",
     "labels": {"en": "Feel safe walking alone after dark",
                "sw": "Wanajisikia salama kutembea peke yao usiku"}},
    {"code": "5.b.1-owns-phone", "sdg": "5.b.1", "form": "sdg5_safety", "kind": "proportion",
     "numerator": "${owns_phone} = 'yes'", "denominator": "${owns_phone} != ''",
     "disaggregateBy": ["sex", {"name": "area", "field": "county"}], "period": "year",
     "labels": {"en": "Own a mobile phone", "sw": "Wanamiliki simu ya mkononi"}},
    {"code": "6.1.1-water-point-working", "sdg": "6.1.1", "form": "water_point",
     "kind": "proportion", "numerator": "${functional} = 'yes'",
     "denominator": "${functional} != ''",
     "disaggregateBy": [{"name": "area", "field": "county"}, "water_source", "channel"],
     "period": {"unit": "quarter", "field": "end"},
     "labels": {"en": "Water points working today", "sw": "Vituo vya maji vinavyofanya kazi"}},
    {"code": "6.1.1-minutes-to-water", "sdg": "6.1.1", "form": "water_point", "kind": "mean",
     "numerator": "${minutes_to_fetch}", "denominator": "${minutes_to_fetch} != ''",
     "disaggregateBy": [{"name": "area", "field": "county"}],
     "period": {"unit": "quarter", "field": "end"},
     "labels": {"en": "Minutes for one trip to fetch water",
                "sw": "Dakika za safari moja ya kuchota maji"}},
    {"code": "3.8.1-health-post-open", "sdg": "3.8.1", "form": "health_post",
     "kind": "proportion", "numerator": "${open_today} = 'yes'",
     "denominator": "${open_today} != ''",
     "disaggregateBy": [{"name": "area", "field": "district"}],
     "period": {"unit": "quarter", "field": "visit_date"},
     "labels": {"en": "Health posts open when visited", "ne": "भ्रमण गर्दा खुला स्वास्थ्य चौकी"}},
    {"code": "3.1.2-birth-attendant", "sdg": "3.1.2", "form": "health_post",
     "kind": "proportion", "numerator": "${birth_service} = 'yes'",
     "denominator": "${birth_service} != ''",
     "disaggregateBy": [{"name": "area", "field": "district"}],
     "period": {"unit": "year", "field": "visit_date"},
     "labels": {"en": "Health posts where women can give birth with a skilled attendant"}},
    {"code": "4.a.1-school-water", "sdg": "4.a.1", "form": "escuela", "kind": "proportion",
     "numerator": "selected(${servicios}, 'agua')", "denominator": "",
     "disaggregateBy": [{"name": "area", "field": "provincia"}], "period": "year",
     "labels": {"es": "Escuelas con agua potable", "en": "Schools with drinking water"}},
]

_STORIES = {
    "en": ["The street lights near the market are broken and women fear walking home.",
           "We need police patrols at the bus stage at night.",
           "Girls are harassed on the way to school, nobody acts.",
           "The borehole has been broken for weeks and we walk far for water.",
           "The health post had no midwife when my sister was in labour."],
    "sw": ["Taa za barabarani karibu na soko zimeharibika, wanawake wanaogopa kutembea usiku.",
           "Tunahitaji polisi kituoni cha basi usiku.",
           "Wasichana wanasumbuliwa njiani kwenda shule."],
}


def load(project_id: int, *, count: int = 2000, seed: int = 2026,
         progress: Callable[[int], None] | None = None) -> int:
    """Submit `count` demo submissions to the project's four forms, unless it has some
    already; then declare the demo indicators. -> submissions stored now."""
    from sync.ingest import ingest

    forms = {f.xml_form_id: f for f in db.session.scalars(select(Form).where(
        Form.project_id == project_id, Form.deleted_at.is_(None)))}
    existing = db.session.scalar(select(func.count(Submission.id)).where(
        Submission.form_id.in_([f.id for f in forms.values()] or [-1]))) or 0
    stored = 0
    if not existing:
        rng = random.Random(seed)
        shares = {"sdg5_safety": 0.45, "water_point": 0.3, "health_post": 0.15,
                  "escuela": 0.1}
        dated = "received_at" in inspect.signature(ingest).parameters
        submitters = _submitters(project_id)
        for form_id, share in shares.items():
            form = forms.get(form_id)
            if form is None:
                continue
            model = _model(form)
            make = _GENERATORS[form_id]
            for _ in range(int(count * share)):
                day = START + timedelta(days=int(rng.triangular(0, DAYS, DAYS * 0.75)))
                answers, repeats = make(rng, model, day)
                xml = build_instance(model, answers, instance_id=f"uuid:{uuid.uuid4()}",
                                     repeats=repeats)
                extra = {"received_at": datetime(day.year, day.month, day.day, 9, tzinfo=UTC)
                         + timedelta(minutes=rng.randint(0, 600))} if dated else {}
                channel = rng.choice(CHANNELS)
                ingest(project_id=project_id, xml=xml, attachments={}, channel=channel,
                       submitter_id=submitters[channel], device_id=None, **extra)
                stored += 1
                if progress is not None and stored % 250 == 0:
                    progress(stored)
    _declare(project_id)
    return stored


def _submitters(project_id: int) -> dict[str, int]:
    """Who sent each channel's made-up submissions, as real ones have a submitter (pyodk
    requires one): Collect rows the demo app user, SMS and USSD rows the project's channel of
    that kind (a simulator channel is created when it has none)."""
    from app.messaging import channels as channel_service
    from app.services import app_users
    from app.services.demo import APP_USER_NAME

    devices = app_users.list_app_users(project_id)
    device = next((a for a in devices if a.actor.display_name == APP_USER_NAME),
                  devices[0] if devices else None)
    if device is None:
        device, _ = app_users.create_app_user(project_id, APP_USER_NAME, None)
    out = {"collect": device.actor_id}
    existing = channel_service.list_channels(project_id)
    for kind in dict.fromkeys(c for c in CHANNELS if c != "collect"):
        channel = next((c for c in existing if c.kind == kind), None) or \
            channel_service.create_channel(project_id, provider="simulator", kind=kind,
                                           address="", credentials=None, settings=None)
        out[kind] = channel.actor_id
    return out


def _declare(project_id: int) -> None:
    from app.indicators import jobs, service
    from app.models import Indicator

    known = set(db.session.scalars(select(Indicator.code).where(
        Indicator.project_id == project_id)))
    created = []
    for body in DEMO_INDICATORS:
        if body["code"] in known:
            continue
        indicator, _ = service.create_indicator(project_id, body)
        created.append(indicator.id)
    jobs.rebuild_later(created)
    db.session.commit()


def _model(form: Form) -> FormModel:
    version = db.session.get(FormVersion, form.current_version_id)
    return parse_xform(version.xml.encode("utf-8"))


def _paths(model: FormModel) -> dict[str, str]:
    return {f.name: f.path for f in model.fields}


def _safety(rng: random.Random, model: FormModel, day: date):
    p = _paths(model)
    county = rng.choices(["kisumu", "kilifi", "nairobi", "dar", "arusha"], [3, 2, 4, 2, 1])[0]
    answers: dict[str, Any] = {p["consent"]: "yes" if rng.random() < 0.93 else "no"}
    if answers[p["consent"]] == "no":
        return answers, {}
    answers[p["safe_now"]] = "yes" if rng.random() < 0.95 else "no"
    if answers[p["safe_now"]] == "no":
        return answers, {}
    sex = rng.choices(["female", "male", "other"], [6, 3, 0.3])[0]
    age = int(min(90, max(15, rng.gauss(33, 13))))
    # Later quarters and Nairobi feel a little safer: a trend for the dashboard to show.
    progress = (day - START).days / DAYS
    safe = 0.35 + 0.2 * progress + (0.1 if county == "nairobi" else 0) - \
        (0.15 if sex == "female" else 0)
    violence = rng.choices(["yes", "no", "pns"],
                           [0.28 + (0.08 if county == "kilifi" else 0), 0.62, 0.1])[0]
    answers.update({p["age"]: age, p["sex"]: sex, p["county"]: county,
                    p["safe_night"]: "yes" if rng.random() < safe else "no",
                    p["violence_12m"]: violence,
                    p["owns_phone"]: "yes" if rng.random() < (0.78 if sex == "female"
                                                              else 0.88) else "no",
                    p["decides_income"]: rng.choice(["yes", "no"])})
    if violence == "yes":
        answers[p["violence_type"]] = rng.sample(["physical", "sexual", "emotional",
                                                  "economic"], rng.randint(1, 2))
        reported = "yes" if rng.random() < 0.3 else "no"
        answers[p["reported"]] = reported
        if reported == "no":
            answers[p["why_not"]] = rng.sample(["fear", "shame", "nowhere", "useless"], 1)
    children = rng.choices([0, 1, 2, 3], [3, 3, 2, 1])[0]
    answers[p["n_children"]] = children
    child = p["child"]
    for i in range(1, children + 1):
        answers[f"{child}[{i}]/child_age"] = rng.randint(6, 17)
        answers[f"{child}[{i}]/child_sex"] = rng.choice(["girl", "boy"])
        answers[f"{child}[{i}]/in_school"] = "yes" if rng.random() < 0.82 else "no"
    if rng.random() < 0.3:
        answers[p["story"]] = rng.choice(_STORIES["sw" if rng.random() < 0.4 else "en"])
    return answers, {child: children}


def _water(rng: random.Random, model: FormModel, day: date):
    p = _paths(model)
    county = rng.choices(["kisumu", "turkana", "nairobi"], [3, 2, 3])[0]
    wards = {"kisumu": ["kondele", "nyalenda_a", "manyatta_b"],
             "turkana": ["kalokol", "lodwar"], "nairobi": ["kibra", "mathare", "kayole"]}
    source = rng.choices(["tap", "borehole", "well", "river", "vendor", "rain"],
                         [3, 3, 2, 1, 2, 0.5])[0]
    working = 0.55 + (0.2 if source == "tap" else 0) - (0.15 if county == "turkana" else 0) \
        + 0.1 * (day - START).days / DAYS
    functional = "yes" if rng.random() < working else "no"
    stamp = datetime(day.year, day.month, day.day, rng.randint(7, 17), rng.randint(0, 59))
    answers: dict[str, Any] = {
        p["consent"]: "yes", p["county"]: county, p["ward"]: rng.choice(wards[county]),
        p["water_source"]: source, p["functional"]: functional,
        p["minutes_to_fetch"]: int(max(2, rng.gauss(45 if county == "turkana" else 25, 12))),
        p["who_fetches"]: rng.sample(["women", "girls", "men", "boys"], rng.randint(1, 2)),
        p["households"]: rng.randint(20, 400),
        p["location"]: (round(rng.uniform(-0.2, 3.2), 5), round(rng.uniform(34.5, 37.0), 5),
                        1150, 5),
        p["start"]: stamp.strftime("%Y-%m-%dT%H:%M:%S.000+03:00"),
        p["end"]: (stamp + timedelta(minutes=8)).strftime("%Y-%m-%dT%H:%M:%S.000+03:00")}
    if functional == "no":
        answers[p["days_broken"]] = rng.randint(1, 90)
    if source == "vendor":
        answers[p["price"]] = round(rng.uniform(5, 50), 1)
    if rng.random() < 0.25:
        answers[p["comments"]] = rng.choice(_STORIES["en"][3:] + _STORIES["sw"][:1])
    return answers, {}


def _health(rng: random.Random, model: FormModel, day: date):
    p = _paths(model)
    district = rng.choice(["sindhupalchok", "gorkha", "dolakha", "kathmandu"])
    is_open = "yes" if rng.random() < (0.9 if district == "kathmandu" else 0.7) else "no"
    answers: dict[str, Any] = {
        p["visit_date"]: day, p["district"]: district,
        p["facility"]: f"{district.title()} HP {rng.randint(1, 20)}", p["open_today"]: is_open,
        p["distance_km"]: round(rng.uniform(0.5, 12), 1),
        p["quake_damage"]: "yes" if rng.random() < 0.2 else "no",
        p["birth_service"]: "yes" if rng.random() < 0.55 else "no"}
    if is_open == "yes":
        answers[p["staff_doctors"]] = rng.randint(0, 3)
        answers[p["staff_nurses"]] = rng.randint(0, 4)
        answers[p["stockouts"]] = rng.sample(["ors", "amox", "iron", "oxytocin"],
                                             rng.randint(0, 2))
    return answers, {}


def _escuela(rng: random.Random, model: FormModel, day: date):
    p = _paths(model)
    pupils = rng.randint(40, 900)
    services = rng.sample(["electricidad", "internet", "agua", "banos", "lavamanos"],
                          rng.randint(1, 4))
    return {p["provincia"]: rng.choice(["buenos_aires", "chaco", "salta", "jujuy", "misiones"]),
            p["escuela"]: f"Escuela N° {rng.randint(1, 400)}", p["alumnos"]: pupils,
            p["alumnas"]: int(pupils * rng.uniform(0.4, 0.55)), p["servicios"]: services,
            p["comedor"]: rng.choice(["si", "no"]),
            p["ubicacion"]: (round(rng.uniform(-27, -22), 5), round(rng.uniform(-66, -54), 5),
                             0, 10)}, {}


_GENERATORS: dict[str, Callable] = {"sdg5_safety": _safety, "water_point": _water,
                                    "health_post": _health, "escuela": _escuela}

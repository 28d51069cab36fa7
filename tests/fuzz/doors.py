"""Each door that takes input from outside, fuzzed with its Hypothesis strategy against the
seeded world (tests/fuzz/seed.py). Used by tests/fuzz/test_input_fuzz.py and bench/fuzz."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import Flask

from app.extensions import db
from tests.fuzz import inputs
from tests.fuzz.api import Stats
from tests.fuzz.drive import drive, multipart_submission, twilio_signature
from tests.fuzz.seed import seed

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORTS = ("csv.zip", "xlsx", "jsonl", "geojson", "sav", "dta")


@dataclass
class World:
    app: Flask
    client: Any
    headers: dict[str, dict[str, str]]
    keyed: str
    real: dict[str, Any]

    @property
    def form(self) -> str:
        return f"/v1/projects/{self.real['projectId']}/forms/hotline"


def world(app: Flask) -> World:
    identities, real = seed(app)
    return World(app, app.test_client(), {i.role: i.headers for i in identities},
                 next(i.base for i in identities if i.role == "app-user"), real)


def submissions(w: World, examples: int, seed_value: int, stats: Stats) -> Stats:
    """REST and OpenRosa submissions, then every export of what was stored."""
    drive(inputs.submission_xml(), lambda xml: w.client.post(
        f"{w.form}/submissions", data=xml,
        headers={**w.headers["admin"], "Content-Type": "application/xml"}),
        examples=examples, seed_value=seed_value, stats=stats, label="REST")
    drive(inputs.submission_xml(), lambda xml: w.client.post(
        f"{w.keyed}/projects/{w.real['projectId']}/submission",
        data=multipart_submission(xml), headers={"X-OpenRosa-Version": "1.0"}),
        examples=examples, seed_value=seed_value + 1, stats=stats, label="OpenRosa")
    for suffix in EXPORTS:
        answer = w.client.get(f"{w.form}/submissions.{suffix}", headers=w.headers["manager"])
        answer.get_data()
        stats.add(answer.status_code, f"export {suffix}")
    return stats


def uploads(w: World, examples: int, seed_value: int, stats: Stats) -> Stats:
    url = f"/v1/projects/{w.real['projectId']}/forms?ignoreWarnings=true"
    drive(inputs.xform(), lambda xml: w.client.post(
        url, data=xml, headers={**w.headers["admin"], "Content-Type": "application/xml"}),
        examples=examples, seed_value=seed_value, stats=stats, label="XForm")
    drive(inputs.xlsform(), lambda data: w.client.post(
        url, data=data, headers={**w.headers["admin"], "Content-Type": XLSX}),
        examples=max(1, examples // 2), seed_value=seed_value, stats=stats, label="XLSForm")
    return stats


def odata_filters(w: World, examples: int, seed_value: int, stats: Stats) -> Stats:
    for label, url in (("feed", f"{w.form}.svc/Submissions"),
                       ("csv", f"{w.form}/submissions.csv"),
                       ("repeat", f"{w.form}.svc/Submissions.nope")):
        drive(inputs.odata_filter(), lambda text, url=url: w.client.get(
            url, query_string={"$filter": text}, headers=w.headers["viewer"]),
            examples=examples, seed_value=seed_value, stats=stats, label=label)
    return stats


def sms_callbacks(w: World, examples: int, seed_value: int, stats: Stats) -> Stats:
    """Africa's Talking SMS (inbound, delivery, opt-out) and USSD, Twilio SMS (inbound,
    status, signed over PUBLIC_URL); the providers' send APIs are answered by `responses`."""
    from app.messaging import channels

    w.app.config["PUBLIC_URL"] = "https://collect.example.org"
    w.app.config["SMS_INLINE_RETRY_DELAYS"] = [0, 0, 0]
    project = w.real["projectId"]
    at = {"username": "sandbox", "apiKey": "k"}
    made = {
        "at-sms": channels.create_channel(project, provider="africastalking", kind="sms",
                                          address="21512", credentials=at,
                                          settings={"form": "hotline"}),
        "at-ussd": channels.create_channel(project, provider="africastalking", kind="ussd",
                                           address="*384*1234#", credentials=at,
                                           settings={"form": "hotline"}),
        "twilio": channels.create_channel(project, provider="twilio", kind="sms",
                                          address="+12028831111",
                                          credentials={"accountSid": "AC" + "0" * 32,
                                                       "authToken": "tw-token"},
                                          settings={"form": "hotline"})}
    db.session.commit()
    urls = {name: channels.webhook_urls(channel) for name, channel in made.items()}

    def post(url: str, data: dict, **headers):
        return w.client.post(urlsplit(url).path, data=data, headers=headers)

    for hook in ("inbound", "delivery", "optout"):
        drive(inputs.at_sms(inputs.senders()), lambda data, hook=hook: post(
            urls["at-sms"][hook], data), examples=examples, seed_value=seed_value,
            stats=stats, label=f"AT {hook}")
    drive(inputs.at_ussd(inputs.senders()), lambda data: post(urls["at-ussd"]["inbound"], data),
          examples=examples, seed_value=seed_value, stats=stats, label="AT USSD")
    for hook in ("inbound", "status"):
        url = urls["twilio"][hook]
        drive(inputs.twilio_sms(inputs.senders()), lambda data, url=url: post(
            url, data, **{"X-Twilio-Signature": twilio_signature("tw-token", url, data)}),
            examples=examples, seed_value=seed_value, stats=stats, label=f"Twilio {hook}")
    return stats


DOORS = {"submissions": submissions, "uploads": uploads, "odata": odata_filters,
         "sms": sms_callbacks}

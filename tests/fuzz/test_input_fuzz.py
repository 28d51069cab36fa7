"""Hypothesis throws odd input at every door that takes it from outside: submission XML (REST
and OpenRosa), XForm and XLSForm uploads, OData `$filter` (on the feed and the exports) and
SMS/USSD provider callbacks in Africa's Talking's and Twilio's shapes. No answer is a 5xx,
nothing logs a traceback (the inline pipeline included). bench/fuzz runs more examples."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from app.extensions import db
from tests.fuzz import inputs
from tests.fuzz.api import Stats
from tests.fuzz.drive import drive, multipart_submission, twilio_signature
from tests.fuzz.seed import seed

SEED = 20261207
EXAMPLES = 40
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def world(app):
    identities, real = seed(app)
    headers = {i.role: i.headers for i in identities}
    keyed = next(i.base for i in identities if i.role == "app-user")
    return app.test_client(), headers, keyed, real


def _clean(stats: Stats, minimum: int) -> None:
    assert stats.inputs >= minimum
    assert stats.server_errors == []
    assert stats.tracebacks == 0


def test_submission_xml_never_answers_a_5xx(world):
    client, headers, keyed, real = world
    base = f"/v1/projects/{real['projectId']}/forms/hotline/submissions"
    stats = Stats()
    drive(inputs.submission_xml(), lambda xml: client.post(
        base, data=xml, headers={**headers["admin"], "Content-Type": "application/xml"}),
        examples=EXAMPLES, seed_value=SEED, stats=stats, label="REST")
    drive(inputs.submission_xml(), lambda xml: client.post(
        f"{keyed}/projects/{real['projectId']}/submission", data=multipart_submission(xml),
        headers={"X-OpenRosa-Version": "1.0"}),
        examples=EXAMPLES, seed_value=SEED + 1, stats=stats, label="OpenRosa")
    _clean(stats, 2 * EXAMPLES)
    # What was stored exports in every format without a 5xx.
    for suffix in ("csv.zip", "xlsx", "jsonl", "geojson", "sav", "dta"):
        answer = client.get(f"{base}.{suffix}", headers=headers["manager"])
        answer.get_data()
        assert answer.status_code < 500, suffix


def test_form_uploads_never_answer_a_5xx(world):
    client, headers, _keyed, real = world
    url = f"/v1/projects/{real['projectId']}/forms?ignoreWarnings=true"
    stats = Stats()
    drive(inputs.xform(), lambda xml: client.post(
        url, data=xml, headers={**headers["admin"], "Content-Type": "application/xml"}),
        examples=EXAMPLES, seed_value=SEED, stats=stats, label="XForm")
    drive(inputs.xlsform(), lambda data: client.post(
        url, data=data, headers={**headers["admin"], "Content-Type": XLSX}),
        examples=EXAMPLES // 2, seed_value=SEED, stats=stats, label="XLSForm")
    _clean(stats, EXAMPLES)


def test_odata_filters_never_answer_a_5xx(world):
    client, headers, _keyed, real = world
    form = f"/v1/projects/{real['projectId']}/forms/hotline"
    stats = Stats()
    for label, url in (("feed", f"{form}.svc/Submissions"), ("csv", f"{form}/submissions.csv"),
                       ("repeat", f"{form}.svc/Submissions.nope")):
        drive(inputs.odata_filter(), lambda text, url=url: client.get(
            url, query_string={"$filter": text}, headers=headers["viewer"]),
            examples=EXAMPLES, seed_value=SEED, stats=stats, label=label)
    _clean(stats, 3 * EXAMPLES)


def test_sms_and_ussd_callbacks_never_answer_a_5xx(world, app):
    from app.services import channels

    client, _headers, _keyed, real = world
    app.config["PUBLIC_URL"] = "https://collect.example.org"
    app.config["SMS_INLINE_RETRY_DELAYS"] = [0, 0, 0]
    made = {
        "at-sms": channels.create_channel(real["projectId"], provider="africastalking",
                                          kind="sms", address="21512",
                                          credentials={"username": "sandbox", "apiKey": "k"},
                                          settings={"form": "hotline"}),
        "at-ussd": channels.create_channel(real["projectId"], provider="africastalking",
                                           kind="ussd", address="*384*1234#",
                                           credentials={"username": "sandbox", "apiKey": "k"},
                                           settings={"form": "hotline"}),
        "twilio": channels.create_channel(real["projectId"], provider="twilio", kind="sms",
                                          address="+12028831111",
                                          credentials={"accountSid": "AC" + "0" * 32,
                                                       "authToken": "tw-token"},
                                          settings={"form": "hotline"})}
    db.session.commit()
    urls = {name: channels.webhook_urls(channel) for name, channel in made.items()}
    stats = Stats()

    def post(url: str, data: dict, **headers):
        return client.post(urlsplit(url).path, data=data, headers=headers)

    for hook in ("inbound", "delivery", "optout"):
        drive(inputs.at_sms(inputs.senders()), lambda data, hook=hook: post(
            urls["at-sms"][hook], data), examples=EXAMPLES, seed_value=SEED, stats=stats,
            label=f"AT {hook}")
    drive(inputs.at_ussd(inputs.senders()), lambda data: post(urls["at-ussd"]["inbound"], data),
          examples=EXAMPLES, seed_value=SEED, stats=stats, label="AT USSD")
    for hook in ("inbound", "status"):
        url = urls["twilio"][hook]
        drive(inputs.twilio_sms(inputs.senders()), lambda data, url=url: post(
            url, data, **{"X-Twilio-Signature": twilio_signature("tw-token", url, data)}),
            examples=EXAMPLES, seed_value=SEED, stats=stats, label=f"Twilio {hook}")
    _clean(stats, 6 * EXAMPLES)

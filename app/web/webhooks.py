"""Provider callbacks: inbound SMS and USSD hops, delivery reports, opt-outs.

Every URL carries the channel id and its long random secret (Africa's Talking signs nothing);
an unknown, disabled or wrongly-secreted channel gets 404. Twilio requests are also checked
with `X-Twilio-Signature` against PUBLIC_URL before anything in them is acted on.
"""
from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, request

from app import problems
from app.extensions import db
from app.messaging import channels as channel_service
from app.messaging import contacts, finish, inbound, outbound
from app.messaging.channels import ChannelRef
from app.messaging.turn import ChannelGone, commit_with_retry
from app.models import Channel
from sms_flows.providers import BadPayload, get_provider
from sms_flows.providers.twilio import signature_valid

webhooks = Blueprint("webhooks", __name__)
log = logging.getLogger(__name__)

_TWIML_EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


@webhooks.post("/webhooks/<int:channel_id>/<secret>/<hook>")
def callback(channel_id: int, secret: str, hook: str):
    ref = channel_service.webhook_ref(channel_id, secret)
    if ref is None or hook not in ref.hooks:
        raise problems.not_found()
    if ref.provider == "twilio":
        _verify_twilio(ref)
    try:
        if hook == "inbound":
            return _ussd(ref) if ref.kind == "ussd" else _inbound_sms(ref)
        channel = channel_service.live_channel(ref.id)
        if channel is None:
            raise ChannelGone(ref.id)
        if hook == "optout":
            return _optout(channel)
        return _report(channel)
    except ChannelGone:
        db.session.rollback()
        raise problems.not_found() from None
    except BadPayload as error:
        db.session.rollback()
        log.info("webhook.bad_payload channel=%s hook=%s field=%s", channel_id, hook,
                 error.field)
        if error.reason == "missing":
            raise problems.missing_parameter(error.field) from None
        raise problems.unexpected_value(error.field, "(not shown)", error.reason) from None


def _verify_twilio(ref: ChannelRef) -> None:
    """The signature covers the URL Twilio called (PUBLIC_URL, not our host behind a proxy)."""
    url = current_app.config["PUBLIC_URL"] + request.path
    if request.query_string:
        url += "?" + request.query_string.decode("latin-1")
    token = ref.credentials.get("authToken", "")
    if not signature_valid(token, url, request.form, request.headers.get("X-Twilio-Signature")):
        log.warning("webhook.bad_signature channel=%s", ref.id)
        raise problems.insufficient_rights()


def _ok(channel: Channel | ChannelRef) -> Response:
    if channel.provider == "twilio":
        return Response(_TWIML_EMPTY, mimetype="text/xml")
    return Response("OK", mimetype="text/plain")


def _inbound_sms(ref: ChannelRef) -> Response:
    text = get_provider(ref.provider).parse_inbound(request.form)
    outcome = commit_with_retry(lambda: inbound.receive_sms(ref, text, require_live=True))
    finish.after_commit(outcome)
    return _ok(ref)


def _ussd(ref: ChannelRef) -> Response:
    hop = get_provider(ref.provider).parse_ussd(request.form)
    outcome = commit_with_retry(lambda: inbound.receive_ussd(ref, hop, require_live=True))
    finish.after_commit(outcome)
    return Response(outcome.screen or "END", mimetype="text/plain")


def _report(channel: Channel) -> Response:
    report = get_provider(channel.provider).parse_report(request.form)
    if report is not None:
        outbound.apply_report(channel, report)
        db.session.commit()
    return _ok(channel)


def _optout(channel: Channel) -> Response:
    optout = get_provider(channel.provider).parse_optout(request.form)
    person = contacts.find_or_create(channel.project_id, optout.phone)
    contacts.opt_out(person.id)
    db.session.commit()
    log.info("contact.opted_out contact=%s channel=%s source=provider", person.id, channel.id)
    return _ok(channel)

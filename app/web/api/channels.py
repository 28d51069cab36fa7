"""Channels, the simulator, conversations and messages under /v1/projects/{pid}."""
from __future__ import annotations

from typing import Any

from flask import jsonify, request
from sqlalchemy import select

from app import problems
from app.extensions import db
from app.messaging import channels as channel_service
from app.messaging import contacts, finish, inbound, jobs, outbound
from app.messaging.store import SIMULATOR
from app.messaging.turn import commit_with_retry
from app.models import Channel, Conversation, Form, Message
from app.queries.paging import page_of
from app.web.access import project_or_404, project_row_or_404
from app.web.api.blueprint import api
from app.web.api.common import choice_arg, iso, json_body, listing, page
from app.web.auth import current_principal
from sms_flows.providers import BadPayload, get_provider
from sms_flows.types import CONVERSATION_STATUSES


def channel_json(channel: Channel) -> dict[str, Any]:
    """A channel without its credentials or secret (the URLs carry the secret: managers only)."""
    urls = channel_service.webhook_urls(channel)
    return {"id": channel.id, "projectId": channel.project_id, "actorId": channel.actor_id,
            "provider": channel.provider,
            "kind": channel.kind, "address": channel.address, "enabled": channel.enabled,
            "settings": channel.settings or {}, **urls, "webhooks": urls,
            "createdAt": iso(channel.created_at), "updatedAt": iso(channel.updated_at)}


def conversation_json(conversation: Conversation, form_ids: dict[int, str]) -> dict[str, Any]:
    return {"id": conversation.id, "channelId": conversation.channel_id,
            "contactId": conversation.contact_id,
            "form": form_ids.get(conversation.form_id) if conversation.form_id else None,
            "medium": conversation.medium, "status": conversation.status,
            "simulated": conversation.session_key == SIMULATOR,
            "language": conversation.language, "startedAt": iso(conversation.started_at),
            "lastActivityAt": iso(conversation.last_activity_at),
            "completedAt": iso(conversation.completed_at),
            "instanceId": conversation.instance_id, "error": conversation.error}


def message_json(message: Message) -> dict[str, Any]:
    return {"id": message.id, "channelId": message.channel_id,
            "conversationId": message.conversation_id, "direction": message.direction,
            "text": message.text, "status": message.status,
            "providerStatus": message.provider_status, "error": message.error,
            "attempts": message.attempts, "createdAt": iso(message.created_at),
            "sentAt": iso(message.sent_at), "statusAt": iso(message.status_at)}


def _channel_or_404(project_id: int, channel_id: int) -> Channel:
    return project_row_or_404(project_id, "channel.manage", channel_service.get_channel,
                              channel_id)


@api.post("/projects/<int:project_id>/channels")
def create_channel(project_id: int):
    project_or_404(project_id, "channel.manage")
    body = json_body("provider", "kind")
    principal = current_principal()
    channel = channel_service.create_channel(
        project_id, provider=str(body["provider"]), kind=str(body["kind"]),
        address=str(body.get("address") or ""), credentials=body.get("credentials") or {},
        settings=body.get("settings") or {}, actor_id=principal.actor.id if principal else None)
    db.session.commit()
    return jsonify(channel_json(channel)), 201


@api.get("/projects/<int:project_id>/channels")
def list_channels(project_id: int):
    project_or_404(project_id, "channel.manage")
    return listing([channel_json(c) for c in channel_service.list_channels(project_id)])


@api.get("/projects/<int:project_id>/channels/<int:channel_id>")
def get_channel(project_id: int, channel_id: int):
    return jsonify(channel_json(_channel_or_404(project_id, channel_id)))


@api.patch("/projects/<int:project_id>/channels/<int:channel_id>")
def update_channel(project_id: int, channel_id: int):
    channel = _channel_or_404(project_id, channel_id)
    body = json_body()
    channel_service.update_channel(channel, enabled=body.get("enabled"),
                                   settings=body.get("settings"))
    db.session.commit()
    return jsonify(channel_json(channel))


@api.delete("/projects/<int:project_id>/channels/<int:channel_id>")
def delete_channel(project_id: int, channel_id: int):
    channel_service.delete_channel(_channel_or_404(project_id, channel_id))
    db.session.commit()
    return jsonify({"success": True})


@api.post("/projects/<int:project_id>/channels/<int:channel_id>/simulate")
def simulate(project_id: int, channel_id: int):
    channel = _channel_or_404(project_id, channel_id)
    body = json_body("from")
    try:
        text = get_provider("simulator").parse_inbound(body)
    except BadPayload as error:
        raise problems.unexpected_value(error.field, "(not shown)", error.reason) from None
    submit = body.get("submit", False)
    if not isinstance(submit, bool):
        raise problems.unexpected_value("submit", submit, "expected true or false")
    # A simulated survey is not stored as a submission unless asked ("submit": true); then
    # its channel is simulated-sms / simulated-ussd / simulated-compact.
    outcome = commit_with_retry(lambda: inbound.simulate(
        channel, channel.kind, channel.address, text.sender, text.text, submit=submit))
    finish.after_commit(outcome)
    return jsonify({"replies": outcome.replies})


@api.get("/projects/<int:project_id>/conversations")
def list_conversations(project_id: int):
    project_or_404(project_id, "message.read")
    limit, offset = page()
    query = select(Conversation).where(Conversation.project_id == project_id)
    status = choice_arg("status", CONVERSATION_STATUSES)
    if status:
        query = query.where(Conversation.status == status)
    form_ids = dict(db.session.execute(select(Form.id, Form.xml_form_id).where(
        Form.project_id == project_id)).all())
    if request.args.get("form"):
        wanted = [fid for fid, name in form_ids.items() if name == request.args["form"]]
        query = query.where(Conversation.form_id.in_(wanted or [-1]))
    rows, total = page_of(query, (Conversation.last_activity_at.desc(), Conversation.id.desc()),
                          limit, offset)
    return listing([conversation_json(c, form_ids) for c in rows], total)


@api.get("/projects/<int:project_id>/messages")
def list_messages(project_id: int):
    """Managers only; `?phone=` is hashed to find the person, never stored or compared clear."""
    project_or_404(project_id, "message.read")
    limit, offset = page()
    query = select(Message).where(Message.project_id == project_id)
    if request.args.get("phone"):
        # `?phone=+2547...` typed unencoded arrives as " 2547...": a "+" decodes to a space.
        raw = request.args["phone"]
        raw = "+" + raw.lstrip() if raw.startswith(" ") else raw
        person = contacts.find(project_id, contacts.normalize(raw))
        query = query.where(Message.contact_id == (person.id if person else -1))
    rows, total = page_of(query, (Message.id.desc(),), limit, offset)
    return listing([message_json(m) for m in rows], total)


@api.post("/projects/<int:project_id>/messages/<int:message_id>/resend")
def resend_message(project_id: int, message_id: int):
    project_or_404(project_id, "channel.manage")
    message = db.session.get(Message, message_id)
    if message is None or message.project_id != project_id:
        raise problems.not_found()
    outbound.resend(message)
    db.session.commit()
    jobs.enqueue_send([message.id])
    db.session.refresh(message)
    return jsonify(message_json(message))

"""SMS and USSD channels: set one up (credentials never shown again), copy its webhook URLs
into the provider's console, switch it on and off, try it with a test conversation, and read
conversations and messages (managers; numbers masked unless the project allows them)."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.messaging import channels as channel_service
from app.messaging import contacts, finish, inbound
from app.messaging.store import SIMULATOR
from app.messaging.turn import commit_with_retry
from app.models import CHANNEL_KINDS, Audit, Contact, Conversation, Form, Message
from app.problems import Problem
from app.queries import forms as form_queries
from app.services import personal_data as personal_store
from app.web import personal_data
from app.web.access import project_or_404
from app.web.ui.blueprint import ui
from app.web.ui.nav import project_tab
from sms_flows.providers import PROVIDERS, BadPayload, get_provider

BASE = "/projects/<int:project_id>/channels"
TEST_PHONE = "+254700000001"
CLEAR_READ = "message.read.phone_clear"
project_tab("channels", lambda: _("SMS & USSD"), "ui.channels", verb="channel.manage", order=30)


def _providers() -> list[dict]:
    return [{"name": name, "kinds": get_provider(name).kinds,
             "fields": get_provider(name).credential_fields} for name in PROVIDERS]


def _clear_numbers(project) -> bool:
    """Numbers in clear only where the project allows them (allowPhoneNumbers) and a manager
    who may read personal data asks (`?personalData=clear`); that read is audited, as the
    API audits a clear read. Otherwise a number shows as the keyed hash every export uses,
    so a person can be told apart and matched with their masked answers, never called."""
    if not (contacts.clear_numbers_allowed(project.settings) and personal_data.asks_for_clear()
            and g.principal.can(personal_data.READ_PERSONAL, project.id)):
        return False
    db.session.add(Audit(actor_id=g.principal.actor.id, action=CLEAR_READ,
                         project_id=project.id, details={"path": request.path}))
    db.session.commit()
    return True


def _people(contact_ids: set[int], clear: bool) -> dict[int, str]:
    mask = personal_store.masker()
    out = {}
    for contact_id in db.session.scalars(select(Contact.id).where(
            Contact.id.in_(contact_ids or {-1}))):
        phone = contacts.phone_of(contact_id)
        out[contact_id] = phone if clear else _short(mask(phone))
    return out


def _short(hashed: str) -> str:
    """hmac-sha256:0a1b2c3d... -> #0a1b2c3d (enough to tell people apart on a page)."""
    return "#" + hashed.rsplit(":", 1)[-1][:10]


@ui.get(BASE)
def channels(project_id: int):
    project = project_or_404(project_id, "channel.manage")
    rows = channel_service.list_channels(project_id)
    can_read = g.principal.can("message.read", project_id)
    recent_conversations, recent_messages, people, form_names = [], [], {}, {}
    clear = False
    if can_read:
        recent_conversations = list(db.session.scalars(
            select(Conversation).where(Conversation.project_id == project_id)
            .order_by(Conversation.last_activity_at.desc(), Conversation.id.desc()).limit(20)))
        recent_messages = list(db.session.scalars(
            select(Message).where(Message.project_id == project_id)
            .order_by(Message.id.desc()).limit(30)))
        clear = _clear_numbers(project)
        people = _people({c.contact_id for c in recent_conversations}
                         | {m.contact_id for m in recent_messages}, clear)
        form_names = dict(db.session.execute(select(Form.id, Form.xml_form_id).where(
            Form.project_id == project_id)).all())
    forms = [f for f in form_queries.visible_forms(g.principal, project_id)
             if f.current_version_id is not None]
    return render_template(
        "ui/channels.html", project=project, channels=rows,
        urls={c.id: channel_service.webhook_urls(c) for c in rows}, providers=_providers(),
        kinds=CHANNEL_KINDS, forms=forms, conversations=recent_conversations,
        messages=recent_messages, people=people, form_names=form_names,
        simulator=SIMULATOR, can_read=can_read, clear=clear,
        allowed=contacts.clear_numbers_allowed(project.settings)
        and g.principal.can(personal_data.READ_PERSONAL, project_id))


@ui.post(BASE)
def create_channel(project_id: int):
    project_or_404(project_id, "channel.manage")
    provider = request.form.get("provider", "")
    spec = get_provider(provider) if provider in PROVIDERS else None
    credentials = {name: request.form.get(f"cred-{provider}-{name}", "")
                   for name in (spec.credential_fields if spec else ())}
    settings = {"form": request.form["form"]} if request.form.get("form") else {}
    try:
        channel = channel_service.create_channel(
            project_id, provider=provider, kind=request.form.get("kind", ""),
            address=request.form.get("address", ""), credentials=credentials,
            settings=settings, actor_id=g.principal.actor.id)
        db.session.commit()
    except Problem as problem:
        db.session.rollback()
        flash(_("The channel was not created: %(reason)s", reason=problem.message), "error")
        return redirect(url_for("ui.channels", project_id=project_id) + "#new-channel")
    flash(_("Channel created. Paste its webhook URLs into the provider's console."), "ok")
    return redirect(url_for("ui.channels", project_id=project_id) + f"#channel-{channel.id}")


def _channel(project_id: int, channel_id: int):
    project_or_404(project_id, "channel.manage")
    channel = channel_service.get_channel(project_id, channel_id)
    if channel is None:
        raise Problem(404.1, "no such channel")
    return channel


@ui.post(f"{BASE}/<int:channel_id>/enabled")
def toggle_channel(project_id: int, channel_id: int):
    channel = _channel(project_id, channel_id)
    channel_service.update_channel(channel, enabled=request.form.get("enabled") == "1")
    db.session.commit()
    flash(_("The channel is on.") if channel.enabled else _("The channel is off."), "ok")
    return redirect(url_for("ui.channels", project_id=project_id) + f"#channel-{channel.id}")


@ui.post(f"{BASE}/<int:channel_id>/delete")
def delete_channel(project_id: int, channel_id: int):
    channel_service.delete_channel(_channel(project_id, channel_id))
    db.session.commit()
    flash(_("The channel is deleted; its messages are kept."), "ok")
    return redirect(url_for("ui.channels", project_id=project_id))


@ui.route(f"{BASE}/<int:channel_id>/test", methods=["GET", "POST"])
def test_channel(project_id: int, channel_id: int):
    """A test conversation through the channel's simulator service: nothing is sent, and a
    finished survey is kept on its conversation only (not stored as a submission)."""
    project = project_or_404(project_id, "channel.manage")
    channel = _channel(project_id, channel_id)
    phone = request.values.get("phone", TEST_PHONE).strip() or TEST_PHONE
    said, replies, error = None, [], None
    if request.method == "POST":
        said = request.form.get("text", "")
        try:
            phone = contacts.normalize(phone)
            outcome = commit_with_retry(lambda: inbound.simulate(
                channel, channel.kind, channel.address, phone, said))
            finish.after_commit(outcome)
            replies = [outcome.screen] if outcome.screen else list(outcome.replies)
        except (BadPayload, Problem) as failure:
            db.session.rollback()
            error = getattr(failure, "message", None) or str(failure)
    context = dict(project=project, channel=channel, phone=phone, said=said, replies=replies,
                   error=error, medium=channel.kind)
    if request.headers.get("HX-Request") and request.method == "POST":
        return render_template("ui/_channel_turn.html", **context)
    return render_template("ui/channel_test.html", **context)

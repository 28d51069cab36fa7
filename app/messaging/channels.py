"""Channels: a provider account and address bound to a project, with its webhook URLs."""
from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import select

from app import crypto, problems
from app.extensions import db
from app.messaging import store
from app.models import CHANNEL_KINDS, Channel
from app.models.base import utcnow
from app.services.credentials import new_actor
from sms_flows.providers import PROVIDERS, get_provider
from sms_flows.providers.africastalking import secret_matches

TEXT_KINDS = ("sms", "whatsapp")  # texts with delivery reports (USSD answers in the request)
ACTOR_TYPE = "channel"  # a channel's own actor: the submitter of its surveys, never logs in
# How a channel's actor is named; migration 0015 holds a frozen copy for existing channels.
KIND_NAMES = {"sms": "SMS", "ussd": "USSD", "whatsapp": "WhatsApp"}
PROVIDER_NAMES = {"africastalking": "Africa's Talking", "twilio": "Twilio",
                  "simulator": "simulator"}


def actor_name(provider: str, kind: str, address: str) -> str:
    """A channel actor's display name: kind, address and provider, e.g. "SMS 21606 (Africa's
    Talking)" (no person's data: the channel is not the citizen who answered)."""
    words = [KIND_NAMES.get(kind, kind), *([address] if address else [])]
    return f"{' '.join(words)} ({PROVIDER_NAMES.get(provider, provider)})"[:255]


def create_channel(project_id: int, *, provider: str, kind: str, address: str,
                   credentials: Mapping[str, Any] | None, settings: Mapping[str, Any] | None,
                   actor_id: int | None = None) -> Channel:
    """Validate and store a channel with its own actor; credentials and the callback secret
    are encrypted."""
    if provider not in PROVIDERS:
        raise problems.unexpected_value("provider", provider,
                                        f"expected one of {', '.join(PROVIDERS)}")
    if kind not in CHANNEL_KINDS:
        raise problems.unexpected_value("kind", kind, f"expected {', '.join(CHANNEL_KINDS)}")
    spec = get_provider(provider)
    if kind not in spec.kinds:
        raise problems.unexpected_value("kind", kind, f"{provider} serves {', '.join(spec.kinds)}")
    if provider != "simulator" and not str(address or "").strip():
        raise problems.missing_parameter("address")
    creds = {name: str((credentials or {}).get(name) or "").strip()
             for name in spec.credential_fields}
    for name, value in creds.items():
        if not value:
            raise problems.missing_parameter(f"credentials.{name}")
    clean_settings = _check_settings(project_id, settings or {})
    address = str(address or "").strip()
    # Its own actor: the submitter of the surveys answered through it (pyodk and ODK Central
    # want an integer submitterId on every submission).
    actor = new_actor(ACTOR_TYPE, actor_name(provider, kind, address))
    channel = Channel(
        project_id=project_id, provider=provider, kind=kind, address=address,
        credentials=crypto.encrypt_json(creds) if creds else None,
        secret=crypto.encrypt(crypto.new_secret()), settings=clean_settings, enabled=True,
        created_by=actor_id, actor_id=actor.id, created_at=utcnow())
    db.session.add(channel)
    db.session.flush()
    return channel


def _check_settings(project_id: int, settings: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(settings, Mapping):
        raise problems.unexpected_value("settings", settings, "expected an object")
    form_id = settings.get("form")
    if form_id is not None and store.form_by_xml_id(project_id, str(form_id)) is None:
        raise problems.unexpected_value("settings.form", form_id,
                                        "no published form with that xmlFormId in this project")
    return dict(settings)


def list_channels(project_id: int) -> list[Channel]:
    return list(db.session.scalars(select(Channel).where(
        Channel.project_id == project_id, Channel.deleted_at.is_(None)).order_by(Channel.id)))


def get_channel(project_id: int, channel_id: int) -> Channel | None:
    channel = db.session.get(Channel, channel_id)
    if channel is None or channel.project_id != project_id or channel.deleted_at is not None:
        return None
    return channel


def update_channel(channel: Channel, *, enabled: bool | None = None,
                   settings: Mapping[str, Any] | None = None) -> Channel:
    """Enable or disable a channel, or replace its settings."""
    if enabled is not None:
        if not isinstance(enabled, bool):
            raise problems.unexpected_value("enabled", enabled, "expected true or false")
        channel.enabled = enabled
    if settings is not None:
        channel.settings = _check_settings(channel.project_id, settings)
    channel.updated_at = utcnow()
    return channel


def delete_channel(channel: Channel) -> None:
    """Soft-delete: its messages and conversations stay; its webhooks answer 404 from now on."""
    channel.deleted_at = utcnow()
    channel.enabled = False


def credentials(channel: Channel) -> dict[str, str]:
    """The decrypted provider credentials (never serialised)."""
    return crypto.decrypt_json(channel.credentials) if channel.credentials else {}


def webhook_urls(channel: Channel) -> dict[str, str]:
    """Full callback URLs under PUBLIC_URL: `inbound` plus the provider's report hooks."""
    base = (f"{current_app.config['PUBLIC_URL']}/webhooks/{channel.id}/"
            f"{crypto.decrypt(channel.secret)}")
    hooks = ["inbound"]
    if channel.kind in TEXT_KINDS:
        hooks += list(get_provider(channel.provider).hooks)
    return {hook: f"{base}/{hook}" for hook in hooks}


@dataclass(frozen=True)
class ChannelRef:
    """What never changes about a channel once created (provider, kind, address, project,
    credentials, callback secret), cached per process; `enabled`, `deleted_at` and `settings`
    change, so they are read from the database with the work itself (see messaging.turn)."""

    id: int
    project_id: int
    provider: str
    kind: str
    address: str
    secret: str = field(repr=False)
    credentials: dict[str, str] = field(repr=False, default_factory=dict)

    @property
    def hooks(self) -> tuple[str, ...]:
        """The callback names this channel answers (`inbound`, plus the provider's reports)."""
        if self.kind in TEXT_KINDS:
            return ("inbound", *get_provider(self.provider).hooks)
        return ("inbound",)


_refs: dict[tuple[str, int], ChannelRef] = {}
_refs_lock = threading.Lock()


def _ref_of(channel: Channel) -> ChannelRef:
    return ChannelRef(id=channel.id, project_id=channel.project_id, provider=channel.provider,
                      kind=channel.kind, address=channel.address,
                      secret=crypto.decrypt(channel.secret), credentials=credentials(channel))


def webhook_ref(channel_id: int, secret: str) -> ChannelRef | None:
    """The channel a callback URL names when its secret matches, from the per-process cache.

    Only immutable facts are cached, and a hit is trusted only when the presented secret
    matches the cached one (256 random bits name one row); a miss or a mismatch reads the row.
    It does NOT say the channel is live: callers check `enabled`/`deleted_at` in the same
    transaction as their work (a turn does it in its first statement; other hooks
    call `live_channel`), so disabling a channel takes effect at once in every worker.
    """
    key = (str(db.engine.url), channel_id)
    ref = _refs.get(key)
    if ref is not None and secret_matches(ref.secret, secret):
        return ref
    channel = db.session.get(Channel, channel_id)
    if channel is None or channel.deleted_at is not None:
        return None
    ref = _ref_of(channel)
    if not secret_matches(ref.secret, secret):
        return None
    with _refs_lock:
        if len(_refs) > 4096:
            _refs.clear()
        _refs[key] = ref
    return ref


def live_channel(channel_id: int) -> Channel | None:
    """The channel row when it is enabled and not deleted."""
    channel = db.session.get(Channel, channel_id)
    if channel is None or channel.deleted_at is not None or not channel.enabled:
        return None
    return channel


def webhook_channel(channel_id: int, secret: str) -> Channel | None:
    """The live channel a callback URL names, or None (unknown, disabled, deleted, bad secret)."""
    ref = webhook_ref(channel_id, secret)
    return live_channel(ref.id) if ref is not None else None

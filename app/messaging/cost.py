"""What a survey will cost on a channel before it goes live: messages and SMS parts of its
shortest and longest path in each language (sms_flows.cost answers the form with the real
engine), computed once per form version, settings and channel settings, in the form cache."""
from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from app.config import setting
from app.models import Channel, FormVersion, Project
from app.queries import form_models
from forms.settings import ConversationSettings
from sms_flows.cost import SurveyCost, survey_cost
from sms_flows.state import engine_settings


def engine_settings_of(project: Project, channel: Channel | None) -> dict[str, Any]:
    """The engine's settings a survey on this channel starts with (project's `sms`, then the
    channel's own), as the turn builds them."""
    merged = {**((project.settings or {}).get("sms") or {}),
              **((channel.settings or {}) if channel is not None else {})}
    return engine_settings(merged)


def form_cost(version: FormVersion, medium: str,
              settings: Mapping[str, Any]) -> list[SurveyCost]:
    """The survey's cost in each of its languages on a channel of `medium` with `settings`."""
    conversation = version.conversation or {}
    key = ("sms_cost", medium, json.dumps(dict(settings), sort_keys=True, default=str),
           json.dumps(conversation, sort_keys=True))
    max_steps = setting("SMS_COST_MAX_STEPS")
    return form_models.derived(
        version.sha256, form_models.xml_of(version.id), key,
        lambda parsed: survey_cost(parsed.with_settings(
            ConversationSettings.from_json(conversation)), medium, settings,
            keyword=version.sms_keyword or "KEY", max_steps=max_steps))

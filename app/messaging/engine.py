"""The conversation engine the app drives, and the form model it reads, from the one cache.

The engine is `app.extensions["sms_engine"]` when set (tests install a fake), else the object
SMS_ENGINE names ("module" or "module:attribute", a class is instantiated); the default is
the module sms_flows.engine, whose module-level functions satisfy the protocol.
"""
from __future__ import annotations

import importlib
import json
from collections.abc import Mapping
from typing import Any

from flask import current_app

from app.config import setting
from app.queries import form_models
from forms.settings import ConversationSettings
from sms_flows.types import ConversationEngine

DEFAULT = "sms_flows.engine"


def engine() -> ConversationEngine:
    """The configured engine, loaded once per app."""
    configured = current_app.extensions.get("sms_engine")
    if configured is None:
        module, _, attribute = str(setting("SMS_ENGINE")).partition(":")
        # A plug-in chosen by configuration: the one place a module is imported by name.
        configured = importlib.import_module(module)
        if attribute:
            configured = getattr(configured, attribute)
            if isinstance(configured, type):
                configured = configured()
        current_app.extensions["sms_engine"] = configured
    return configured


def form_model(sha256: str, version_id: int, settings: Mapping[str, Any] | None = None) -> Any:
    """The engine's model of a form version with its conversation settings (consent,
    sensitive, sms_progress: FormVersion.conversation): for the default engine the parsed form
    carrying them, else the engine's own `parse_form`, both kept in the one form cache (the
    settings are not in the XForm, so they key the view)."""
    current = engine()
    load = form_models.xml_of(version_id)
    parsed_settings = ConversationSettings.from_json(settings)
    if parsed_settings == ConversationSettings():
        settings = None  # none set: the plain model
    key = json.dumps(settings or {}, sort_keys=True)
    if getattr(current, "__name__", None) == DEFAULT:
        if not settings:
            return form_models.model(sha256, load)
        return form_models.derived(sha256, load, ("conversation", key),
                                   lambda parsed: parsed.with_settings(parsed_settings))
    return form_models.derived(sha256, load, ("sms_engine", id(current), key),
                               lambda _parsed: current.parse_form(load(), settings)
                               if settings else current.parse_form(load()))

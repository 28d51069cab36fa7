"""GET .../forms/{xmlFormId}/sms-cost: what the survey costs on a channel, before it goes live."""
from __future__ import annotations

from typing import Any

from flask import jsonify, request

from app import problems
from app.extensions import db
from app.messaging import channels as channel_service
from app.messaging import cost
from app.models import FormVersion, Project
from app.web.access import form_for
from app.web.api.blueprint import api
from sms_flows.types import MEDIUMS


@api.get("/projects/<int:project_id>/forms/<xml_form_id>/sms-cost")
def sms_cost(project_id: int, xml_form_id: str):
    """Messages (in and out) and SMS parts (GSM-7, UCS-2) of the shortest and longest path
    through the published form, in each of its languages; `?channel=ID` takes that channel's
    kind and settings (segment budget, look-alikes), else `?medium=sms|ussd|whatsapp`."""
    return jsonify(form_sms_cost(project_id, xml_form_id, request.args.get("channel"),
                                 request.args.get("medium")))


def form_sms_cost(project_id: int, xml_form_id: str, channel_arg: str | None,
                  medium_arg: str | None) -> dict[str, Any]:
    """The API's answer as a dict (the web app's cost page shows the same): 404 for a form
    not published or not readable, 400 for an unknown channel or medium."""
    form = form_for(project_id, xml_form_id)
    version = db.session.get(FormVersion, form.current_version_id) \
        if form.current_version_id else None
    if version is None:
        raise problems.not_found()
    channel = None
    if channel_arg:
        raw = channel_arg
        channel = channel_service.get_channel(project_id, int(raw)) if raw.isdigit() else None
        if channel is None:
            raise problems.unexpected_value("channel", raw, "no channel with that id here")
    medium = medium_arg or (channel.kind if channel is not None else "sms")
    if medium not in MEDIUMS:
        raise problems.unexpected_value("medium", medium, f"expected {', '.join(MEDIUMS)}")
    settings = cost.engine_settings_of(db.session.get(Project, project_id), channel)
    results = cost.form_cost(version, medium, settings)
    return {
        "xmlFormId": form.xml_form_id, "version": version.version,
        "channelId": channel.id if channel is not None else None, "medium": medium,
        "segmentBudget": settings["segments"], "lookalikes": settings["lookalikes"],
        "languages": [r.to_json() for r in results]}

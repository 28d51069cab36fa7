"""The citizens' side, for managers: their erasure requests (DELETE by text or USSD: when,
how, what became of them, how much was erased, never whose) and what an SMS or USSD survey
costs before it goes live (per form, per channel). The API's own services and checks:
GET /v1/projects/{pid}/erasure-requests and .../forms/{xmlFormId}/sms-cost."""
from __future__ import annotations

from flask import g, render_template, request
from flask_babel import gettext as _

from app.messaging import channels as channel_service
from app.models import ERASURE_STATES
from app.rights import requests as erasure_requests
from app.web.access import form_for, project_or_404
from app.web.api.sms_cost import form_sms_cost
from app.web.ui.blueprint import ui
from app.web.ui.paging import offset_arg
from sms_flows.types import MEDIUMS

PAGE = 50


@ui.get("/projects/<int:project_id>/erasure-requests")
def erasure_requests_page(project_id: int):
    project = project_or_404(project_id, "message.read")
    status = request.args.get("status") or None
    if status not in ERASURE_STATES:
        status = None
    offset = offset_arg()
    rows, total = erasure_requests.listing(project_id, status=status, limit=PAGE,
                                           offset=offset)
    channels = {c.id: c for c in channel_service.list_channels(project_id)}
    return render_template("ui/erasure_requests.html", project=project, rows=rows,
                           total=total, status=status, states=ERASURE_STATES, offset=offset,
                           page=PAGE, channels=channels)


@ui.get("/projects/<int:project_id>/forms/<xml_form_id>/sms-cost")
def sms_cost_page(project_id: int, xml_form_id: str):
    project = project_or_404(project_id)
    form = form_for(project_id, xml_form_id)
    channel_arg = request.args.get("channel") or None
    medium_arg = request.args.get("medium") or None
    result = form_sms_cost(project_id, xml_form_id, channel_arg, medium_arg)
    channels = (channel_service.list_channels(project_id)
                if g.principal.can("channel.manage", project_id) else [])
    return render_template("ui/sms_cost.html", project=project, form=form, cost=result,
                           channels=channels, mediums=MEDIUMS,
                           medium_names={"sms": _("SMS"), "ussd": _("USSD"),
                                         "whatsapp": _("WhatsApp")})


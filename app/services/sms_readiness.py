"""Whether a form can be answered over SMS/USSD, told at publish the way pyxform warnings are.

Two kinds of findings, from the pure checks in `forms.walker.sms_readiness` and
`sms_flows.render.ussd_fit_warnings`:

- a required question that cannot be answered by text (image, audio, signature, barcode...):
  the survey could never finish over SMS/USSD, so publishing a form that one of the project's
  live channels would serve is refused (409.1) whatever `ignoreWarnings` says;
- a label too long for a USSD screen in some language: a warning. Publishing a form that a
  live USSD channel would serve answers 400.16 with the warnings, as Central does for pyxform
  warnings, unless `?ignoreWarnings=true`.

A form that no SMS/USSD channel would serve (Collect only) is never held back: its findings are
only listed, for information, as `smsWarnings` in the draft's JSON.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from app import problems
from app.extensions import db
from app.models import Channel, Form, FormVersion
from forms.model import parse_xform
from forms.walker import sms_readiness
from sms_flows.render import ussd_fit_warnings


@dataclass
class Findings:
    unanswerable: list[str] = field(default_factory=list)  # required, not answerable by text
    ussd: list[str] = field(default_factory=list)  # too long for a USSD screen

    def all(self) -> list[str]:
        return [*self.unanswerable, *self.ussd]


def findings(xml: str, medium: str = "sms") -> Findings:
    """What stops or hampers this XForm over SMS/USSD, or WhatsApp (where photo and voice
    questions are answerable); empty when it cannot be parsed: publishing reports parse
    errors elsewhere."""
    try:
        model = parse_xform(xml.encode("utf-8"))
    except Exception:  # noqa: BLE001 - a form the engine cannot read is refused elsewhere
        return Findings()
    return Findings([p.message for p in sms_readiness(model, medium)],
                    ussd_fit_warnings(model))


def serving_channels(project_id: int, xml_form_id: str, sms_keyword: str | None) -> list[Channel]:
    """The project's live channels that would open this form: a channel whose settings name
    it, an SMS channel picking forms by keyword when the form has one, a USSD code showing
    the menu of every form."""
    channels = db.session.scalars(select(Channel).where(
        Channel.project_id == project_id, Channel.deleted_at.is_(None),
        Channel.enabled.is_(True)).order_by(Channel.id))
    serving = []
    for channel in channels:
        fixed = (channel.settings or {}).get("form")
        if fixed:
            if str(fixed) == xml_form_id:
                serving.append(channel)
        elif channel.kind == "ussd" or sms_keyword:
            serving.append(channel)
    return serving


def check_publish(form: Form, draft: FormVersion, *, ignore_warnings: bool) -> None:
    """Refuse (or warn about) publishing a form that a live SMS/USSD channel would serve."""
    channels = serving_channels(form.project_id, form.xml_form_id, draft.sms_keyword)
    if not channels:
        return
    only_whatsapp = all(c.kind == "whatsapp" for c in channels)
    found = findings(draft.xml, "whatsapp" if only_whatsapp else "sms")
    ids = [c.id for c in channels]
    if found.unanswerable:
        raise problems.invalid_state(
            "This form cannot be published while SMS/USSD channels of the project serve it: "
            + " ".join(found.unanswerable)
            + " (Or stop serving it over SMS/USSD: remove its sms_keyword, or the channel's "
              "settings.form.)",
            {"warnings": found.unanswerable, "channels": ids})
    if found.ussd and not ignore_warnings and any(c.kind == "ussd" for c in channels):
        raise problems.Problem(
            400.16, "The form is valid, but some of its text does not fit a USSD screen. "
                    "Publish again with ignoreWarnings to accept it.",
            {"warnings": found.ussd, "channels": ids})

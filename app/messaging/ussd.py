"""USSD screens: the numbered menu of a project's forms and the citizen's rights, and
`CON `/`END ` framing."""
from __future__ import annotations

from collections.abc import Sequence

from app.messaging.store import FormRef
from sms_flows.messages import message
from sms_flows.rights import ussd_entries


def menu_text(forms: Sequence[FormRef], language: str | None = None) -> str:
    """The menu screen's text in the person's language: one numbered line per form, by its
    title, then "My data" and "Delete my data"."""
    lines = [message("choose_survey", language)] if forms else []
    entries = [form.title or form.xml_form_id for form in forms] + ussd_entries(language)
    lines += [f"{number}. {entry}" for number, entry in enumerate(entries, start=1)]
    return "\n".join(lines)


def screen(replies: Sequence[str], active: bool) -> str:
    """One USSD screen: `CON ` while the session goes on, `END ` when it is over."""
    text = "\n".join(r for r in replies if r)
    if text.startswith(("CON ", "END ")) or text in ("CON", "END"):
        return text
    return ("CON " if active else "END ") + text

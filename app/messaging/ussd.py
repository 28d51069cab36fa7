"""USSD screens: the numbered menu of a project's forms, and `CON `/`END ` framing."""
from __future__ import annotations

from collections.abc import Sequence

from app.messaging.store import FormRef


def menu_text(forms: Sequence[FormRef]) -> str:
    """The menu screen's text: one numbered line per form, by its title."""
    lines = ["Choose a survey:"]
    lines += [f"{number}. {form.title or form.xml_form_id}"
              for number, form in enumerate(forms, start=1)]
    return "\n".join(lines)


def screen(replies: Sequence[str], active: bool) -> str:
    """One USSD screen: `CON ` while the session goes on, `END ` when it is over."""
    text = "\n".join(r for r in replies if r)
    if text.startswith(("CON ", "END ")) or text in ("CON", "END"):
        return text
    return ("CON " if active else "END ") + text

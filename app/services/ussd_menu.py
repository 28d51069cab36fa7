"""USSD: the numbered menu of a project's forms when a code opens none, and screen framing."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from app.extensions import db
from app.models import Channel, Contact, Conversation, Form, FormVersion


def menu_forms(project_id: int) -> list[Form]:
    """The project's published, open forms, in creation order."""
    return list(db.session.scalars(select(Form).where(
        Form.project_id == project_id, Form.state != "closed", Form.deleted_at.is_(None),
        Form.current_version_id.is_not(None)).order_by(Form.id)))


def menu_text(forms: list[Form]) -> str:
    """The menu screen's text: one numbered line per form, by its title."""
    lines = ["Choose a survey:"]
    for number, form in enumerate(forms, start=1):
        version = db.session.get(FormVersion, form.current_version_id)
        lines.append(f"{number}. {(version.name if version else None) or form.xml_form_id}")
    return "\n".join(lines)


def open_menu(channel: Channel, contact: Contact,
              now: datetime) -> tuple[Conversation | None, list[str]]:
    """A menu conversation (no form yet) listing the project's open forms."""
    forms = menu_forms(channel.project_id)
    if not forms:
        return None, ["No survey is open."]
    conversation = Conversation(
        project_id=channel.project_id, channel_id=channel.id, contact_id=contact.id,
        medium="ussd", status="active", state={"menu": [f.id for f in forms]},
        started_at=now, last_activity_at=now)
    db.session.add(conversation)
    db.session.flush()
    return conversation, [menu_text(forms)]


def forms_of(conversation: Conversation) -> list[Form]:
    """The forms a menu conversation offered, still published."""
    forms = [db.session.get(Form, form_id) for form_id in conversation.state.get("menu", [])]
    return [f for f in forms if f is not None and f.current_version_id is not None]


def show(conversation: Conversation, now: datetime) -> tuple[Conversation, list[str]]:
    """The menu again (the caller redialled before choosing)."""
    conversation.last_activity_at = now
    return conversation, [menu_text(forms_of(conversation))]


def screen(replies: list[str], active: bool) -> str:
    """One USSD screen: `CON ` while the session goes on, `END ` when it is over."""
    text = "\n".join(r for r in replies if r)
    if text.startswith(("CON ", "END ")) or text in ("CON", "END"):
        return text
    return ("CON " if active else "END ") + text

"""Reading forms: by xmlFormId, and which forms a caller may see."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import Form


def get_form(project_id: int, xml_form_id: str) -> Form | None:
    """A live (not deleted) form of the project by its xmlFormId."""
    return db.session.scalar(select(Form).where(
        Form.project_id == project_id, Form.xml_form_id == xml_form_id,
        Form.deleted_at.is_(None)))

"""Who may reach which project and form: the lookups every surface (REST API, web app) makes
before it acts, so a rule about visibility has one home."""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from app import problems
from app.models import Form, Project
from app.models.forms import FormState
from app.services import forms as form_service
from app.services import projects as project_service
from app.web.auth import require, require_form

Row = TypeVar("Row")


def project_or_404(project_id: int, verb: str = "project.read") -> Project:
    """The project if the caller may `verb` it; 404 when it does not exist, 403 otherwise."""
    project = project_service.get_project(project_id)
    if project is None:
        raise problems.not_found()
    require(verb, project.id)
    return project


def project_row_or_404(project_id: int, verb: str, lookup: Callable[[int, int], Row | None],
                       row_id: int) -> Row:
    """The row `lookup(project_id, row_id)` finds (never another project's: a channel, a public
    dashboard, an app user, a sync link) if the caller may `verb` the project; 404 when the
    project or the row does not exist, 403 without the right."""
    project_or_404(project_id, verb)
    row = lookup(project_id, row_id)
    if row is None:
        raise problems.not_found()
    return row


def form_for(project_id: int, xml_form_id: str, verb: str = "form.read") -> Form:
    """The form if the caller may `verb` on it. Callers who cannot manage forms only see
    published forms, and data collectors and app users not closed ones (as in Central)."""
    require("form.list", project_id)
    form = form_service.get_form(project_id, xml_form_id)
    if form is None:
        raise problems.not_found()
    principal = require_form(verb, project_id, form.id)
    if not principal.can("form.update", project_id):
        hidden = form.current_version_id is None or (
            not principal.can("submission.read", project_id) and form.state == FormState.CLOSED)
        if hidden:
            raise problems.not_found()
    return form

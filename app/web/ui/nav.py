"""The project's tabs: each page module registers its own tab here, so a new area (the
dashboard, sync status, ...) shows up in every project's navigation without editing templates.

    from app.web.ui.nav import project_tab
    project_tab("dashboard", lambda: _("Dashboard"), "ui.dashboard", verb="submission.read",
                order=50)

The tab shows when the signed-in user may `verb` on the project; its URL is
`url_for(endpoint, project_id=...)`.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, g, url_for

from app.models import Project


@dataclass(frozen=True)
class Tab:
    key: str
    label: Callable[[], str]  # called per request, in the user's language
    endpoint: str
    verb: str
    order: int


_TABS: dict[str, Tab] = {}


def project_tab(key: str, label: Callable[[], str], endpoint: str, *, verb: str = "project.read",
                order: int = 100) -> None:
    _TABS[key] = Tab(key, label, endpoint, verb, order)


def project_tabs(project: Project) -> list[dict[str, str]]:
    principal = g.get("principal")
    if principal is None:
        return []
    return [{"key": t.key, "label": t.label(), "url": url_for(t.endpoint, project_id=project.id)}
            for t in sorted(_TABS.values(), key=lambda t: (t.order, t.key))
            if principal.can(t.verb, project.id)]


def init_app(app: Flask) -> None:
    app.jinja_env.globals["project_tabs"] = project_tabs

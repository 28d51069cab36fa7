"""Home (the project list) and a project's page (its forms)."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.extensions import db
from app.indicators import overview
from app.problems import Problem
from app.queries import forms as form_queries
from app.services import projects as project_service
from app.web.access import project_or_404
from app.web.auth import require
from app.web.ui.blueprint import ui
from app.web.ui.nav import project_tab
from app.web.ui.session import public


@ui.get("/")
@public
def home():
    principal = g.get("principal")
    if principal is None:
        return redirect(url_for("ui.login"))
    rows = project_service.visible_projects(principal)
    summaries = project_service.summaries([p.id for p in rows])
    return render_template("ui/home.html", projects=rows, summaries=summaries,
                           can_create=principal.can("project.create"))


@ui.post("/projects")
def create_project():
    require("project.create")
    name = request.form.get("name", "").strip()
    if not name:
        flash(_("Give the project a name."), "error")
        return redirect(url_for("ui.home"))
    project = project_service.create_project(name, request.form.get("description") or None)
    db.session.commit()
    flash(_("Project %(name)s created.", name=project.name), "ok")
    return redirect(url_for("ui.project", project_id=project.id))


project_tab("forms", lambda: _("Forms"), "ui.project", order=10)


@ui.get("/projects/<int:project_id>")
def project(project_id: int):
    project = project_or_404(project_id)
    principal = g.principal
    forms = form_queries.visible_forms(principal, project_id)
    figures = (form_queries.submission_figures(forms, project_id)
               if principal.can("submission.list", project_id) else {})
    return render_template("ui/project.html", project=project, forms=forms, figures=figures,
                           can_manage=principal.can("form.create", project_id),
                           can_update=principal.can("indicator.manage", project_id),
                           boundaries=overview.boundaries(project_id))


@ui.post("/projects/<int:project_id>/boundaries")
def boundaries(project_id: int):
    """The project's own areas as GeoJSON: maps draw points over them (no tile server)."""
    project_or_404(project_id, "indicator.manage")
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(_("Choose a GeoJSON file."), "error")
        return redirect(url_for("ui.project", project_id=project_id) + "#boundaries")
    try:
        row = overview.save_boundaries(project_id, upload.read(),
                                       request.form.get("match", "").strip() or None)
    except Problem as problem:
        db.session.rollback()
        flash(_("The map boundaries were not saved: %(reason)s", reason=problem.message),
              "error")
        return redirect(url_for("ui.project", project_id=project_id) + "#boundaries")
    db.session.commit()
    flash(_("%(n)s areas saved; maps are drawn on them.", n=len(row.geojson["features"])),
          "ok")
    return redirect(url_for("ui.project", project_id=project_id))

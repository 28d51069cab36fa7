"""A project's pipeline health, for its managers: what waits to be cleaned and tagged, what
failed and what was quarantined (a submission that killed its worker), each with its reason
and a link to the submission; a retry for the project's failed ones. Site admins see every
project's on /admin/pipeline."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _

from app.pipeline import retry
from app.queries import pipeline_health
from app.web.access import project_or_404
from app.web.ui.blueprint import ui
from app.web.ui.nav import project_tab

BASE = "/projects/<int:project_id>/pipeline"
project_tab("pipeline", lambda: _("Pipeline"), "ui.project_pipeline", verb="submission.update",
            order=70)


@ui.get(BASE)
def project_pipeline(project_id: int):
    project = project_or_404(project_id, "submission.update")
    return render_template("ui/pipeline.html", project=project,
                           counts=pipeline_health.counts(project_id),
                           rows=pipeline_health.waiting(project_id))


@ui.post(f"{BASE}/retry")
def project_pipeline_retry(project_id: int):
    project_or_404(project_id, "submission.update")
    failed = {w.outbox_id for w in pipeline_health.waiting(project_id, errors_only=True,
                                                           limit=10_000)}
    count = retry.retry_failed(only=failed) if failed else 0
    flash(_("%(n)s failed jobs sent round again.", n=count), "ok")
    return redirect(url_for("ui.project_pipeline", project_id=project_id))

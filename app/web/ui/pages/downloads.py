"""Downloads: pick a form, a format and filters; the export runs as a background job with a
progress bar (app/exports/jobs.py, the same jobs as the API's), then the file is downloaded.
Also the OData URL for Power BI and Excel."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from flask import current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app import problems
from app.exports import formats, jobs
from app.exports.spec import Source
from app.extensions import db
from app.models import CHANNELS, REVIEW_STATES, ExportJob
from app.models.export_jobs import UNFINISHED
from app.queries import forms as form_queries
from app.web.access import project_or_404
from app.web.api.exports import export_form, export_spec, form_job, job_file, phone_policy
from app.web.ui import formtext
from app.web.ui.blueprint import ui
from app.web.ui.i18n import current_language
from app.web.ui.nav import project_tab

BASE = "/projects/<int:project_id>/downloads"
# The formats offered, in the order people look for them (every one is in the registry).
OFFERED = ("csv.zip", "xlsx", "geojson", "jsonl", "sav", "dta")
project_tab("downloads", lambda: _("Downloads"), "ui.downloads", verb="submission.read",
            order=40)


def _labels() -> dict[str, str]:
    return {"csv.zip": _("CSV files in a zip (with photos)"), "xlsx": _("Excel workbook (XLSX)"),
            "geojson": _("GeoJSON (maps, QGIS)"), "jsonl": _("JSON Lines"),
            "sav": _("SPSS (.sav)"), "dta": _("Stata (.dta)")}


def _readable_forms(project_id: int) -> list:
    principal = g.principal
    return [f for f in form_queries.visible_forms(principal, project_id)
            if f.current_version_id is not None
            and principal.can_form("submission.read", project_id, f.id)]


def _job_row(project, form, job: ExportJob) -> dict:
    return {"job": job, "progress": jobs.progress_of(job), "form": form,
            "label": _labels().get(job.format, job.format),
            "url": url_for("ui.download_file", project_id=project.id, job_id=job.id,
                           form=form.xml_form_id)}


@ui.get(BASE)
def downloads(project_id: int):
    project = project_or_404(project_id, "submission.read")
    forms = _readable_forms(project_id)
    chosen = request.args.get("form") or (forms[0].xml_form_id if forms else None)
    form = rows = None
    if chosen:
        form, _version, _model = export_form(project_id, chosen)
        jobs.cleanup()
        rows = [_job_row(project, form, jobs.refresh(job)) for job in jobs.for_form(form.id)]
    public_url = current_app.config["PUBLIC_URL"]
    return render_template(
        "ui/downloads.html", project=project, forms=forms, form=form, rows=rows or [],
        offered=[(name, _labels()[name]) for name in OFFERED if formats.get(name)],
        review_states=REVIEW_STATES, channels=CHANNELS,
        goals=[(n, formtext.sdg_title(str(n), current_language())) for n in range(1, 18)],
        running=any(r["job"].status in UNFINISHED for r in rows or []),
        can_clear=form is not None and g.principal.can_form(
            "submission.read_personal", project_id, form.id),
        odata_url=(f"{public_url}/v1/projects/{project_id}/forms/{form.xml_form_id}.svc"
                   if form else None))


@ui.post(BASE)
def start_download(project_id: int):
    project_or_404(project_id, "submission.read")
    form, _version, _model = export_form(project_id, request.form.get("form", ""))
    fmt = request.form.get("format", "")
    if fmt not in OFFERED or formats.get(fmt) is None:
        raise problems.unexpected_value("format", fmt, f"expected one of {', '.join(OFFERED)}")
    spec = export_spec(form, fmt)
    if spec.filters.until is not None and len(request.form.get("until", "")) == 10:
        # A day picked in the page means "up to and including that day".
        spec = replace(spec, filters=replace(spec.filters,
                                             until=spec.filters.until + timedelta(days=1)))
    # Files from the web app are opened in spreadsheets: always formula-safe.
    spec = replace(spec, phones=phone_policy(form), formula_safe=True)
    # Counted now so that the progress bar can say how far the job is ("120 of 4,000").
    job = jobs.create(spec, g.principal.actor.id, Source(spec).count())
    jobs.dispatch(job)
    db.session.expire_all()
    return redirect(url_for("ui.downloads", project_id=project_id, form=form.xml_form_id)
                    + f"#job-{job.id}")


@ui.get(f"{BASE}/<int:job_id>")
def download_status(project_id: int, job_id: int):
    """One job's row (htmx polls it while the job runs)."""
    project = project_or_404(project_id, "submission.read")
    form, job = form_job(project_id, request.args.get("form", ""), job_id)
    return render_template("ui/_download_row.html", project=project,
                           row=_job_row(project, form, job))


@ui.get(f"{BASE}/<int:job_id>/file")
def download_file(project_id: int, job_id: int):
    project_or_404(project_id, "submission.read")
    form, job = form_job(project_id, request.args.get("form", ""), job_id)
    return job_file(form, job)

"""Browsing submissions: a keyset-paged table with chosen columns and filters, and one
submission's answers (labels in the form's language), files, map, SDG tags, quality flags,
review state, comments and edit history."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Response, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app import problems
from app.exports.queries import Filters
from app.extensions import db
from app.indicators import overview
from app.models import CHANNELS, REVIEW_STATES, Actor, Blob, Channel, Form, FormVersion
from app.pipeline import dispatch, reprocess
from app.pipeline.status import version_status
from app.queries import submissions as submission_queries
from app.queries.submissions import Cursor
from app.services import app_users as app_user_service
from app.services import audits, storage
from app.services import submissions as service
from app.web.access import form_for, project_or_404
from app.web.ui import choices, formtext, maps
from app.web.ui import personal as personal_policy
from app.web.ui.blueprint import ui
from app.web.ui.i18n import current_language
from forms.flatten import repeat_of
from forms.model import Field, FormModel
from forms.review import ReviewState
from forms.sdg import catalogue
from sync.schema import schema_for

FORM = "/projects/<int:project_id>/forms/<xml_form_id>"
PAGE_SIZE = 50
DEFAULT_COLUMNS = 5
SHOWN_IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
# A clear read of personal answers is audited under the API's action for the same read.
CLEAR_READ = "submission.read.personal_clear"


def _published(project_id: int, xml_form_id: str, verb: str) -> tuple[Form, FormModel]:
    form = form_for(project_id, xml_form_id, verb)
    if form.current_version is None:
        raise problems.not_found()
    version = form.current_version
    return form, schema_for(version.sha256, lambda: version.xml).model


def _language(model: FormModel) -> str | None:
    asked = request.args.get("lang")
    if asked in model.languages:
        return asked
    return formtext.form_language(model, current_language())


def _root_questions(model: FormModel) -> list[Field]:
    """Questions outside repeats that take an answer (notes are read-only: left out)."""
    return [f for f in model.questions()
            if repeat_of(model, f) is None and f.readonly not in ("true()", "true")]


def _date(name: str, end: bool = False) -> datetime | None:
    value = (request.args.get(name) or "").strip()
    try:
        day = datetime.fromisoformat(value).replace(tzinfo=UTC) if value else None
    except ValueError:
        return None
    return day + timedelta(days=1) if day is not None and end else day


def _filters() -> Filters:
    args = request.args
    submitter = args.get("submitter", "")
    review = args.get("reviewState") or None
    sdg = (args.get("sdg") or "").strip() or None
    return Filters(since=_date("since"), until=_date("until", end=True),
                   channel=args.get("channel") or None,
                   review_state="null" if review == ReviewState.RECEIVED else review,
                   sdg=sdg if sdg is None or catalogue.is_known_code(sdg) else None,
                   submitter_id=int(submitter) if submitter.isdigit() else None)


def display(field: Field, value, labels: choices.Labeller,
            personal: personal_policy.Personal | None = None) -> str:
    """An answer as people read it: choice labels (in the labeller's form language) instead of
    names; a personal answer as the keyed hash unless this request may and did ask for it."""
    if value in (None, ""):
        return ""
    if personal is not None and field.path in personal.paths and not personal.clear:
        return str(personal.show(field.path, value))
    if field.control in choices.SELECTS:
        return labels.text(field, str(value))
    if field.type == "geopoint":
        point = maps.parse_geopoint(value)
        return f"{point[0]:.5f}, {point[1]:.5f}" if point else str(value)
    return str(value)


def _boundaries(project_id: int) -> dict | None:
    """The project's area boundaries (the dashboard's, app.indicators), for the maps."""
    row = overview.boundaries(project_id)
    return row.geojson if row is not None else None


def _submitters(project_id: int) -> list[tuple[int, str]]:
    """Whom the submitter filter offers: the project's app users (devices) and its SMS, USSD
    and WhatsApp channels (each the submitter of the surveys answered through it)."""
    return [(a.actor_id, a.actor.display_name)
            for a in app_user_service.list_app_users(project_id)] + \
        [(actor_id, name) for actor_id, name in db.session.execute(
            db.select(Actor.id, Actor.display_name).join(Channel, Channel.actor_id == Actor.id)
            .where(Channel.project_id == project_id, Channel.deleted_at.is_(None))
            .order_by(Channel.id))]


@ui.get(f"{FORM}/submissions")
def submissions(project_id: int, xml_form_id: str):
    project = project_or_404(project_id)
    form, model = _published(project_id, xml_form_id, "submission.list")
    personal = personal_policy.for_form(form, model, CLEAR_READ)
    language = _language(model)
    labels = choices.Labeller(form.current_version, model, language)
    questions = _root_questions(model)
    chosen = [p for p in request.args.getlist("col") if model.has_field(p)]
    columns = [model.field(p) for p in chosen] or questions[:DEFAULT_COLUMNS]
    page = submission_queries.page(
        form.id, _filters(), after=Cursor.decode(request.args.get("after")),
        before=Cursor.decode(request.args.get("before")), size=PAGE_SIZE)
    # A personal place (privacy "personal") is not drawn unless shown in clear.
    geo = next((f for f in questions if f.type == "geopoint"
                and (personal.clear or f.path not in personal.paths)), None)
    points = []
    rows = []
    for submission, current, submitter in page.rows:
        root = (current.data or {}).get("root", {})
        link = url_for("ui.submission", project_id=project_id, xml_form_id=xml_form_id,
                       instance_id=submission.instance_id)
        rows.append({"submission": submission, "name": current.instance_name,
                     "submitter": submitter, "link": link,
                     "cells": [display(f, root.get(f.path), labels, personal)
                               for f in columns]})
        point = maps.parse_geopoint(root.get(geo.path)) if geo else None
        if point:
            points.append(maps.Point(point[0], point[1], current.instance_name
                                     or submission.instance_id, link))
    args = request.args.to_dict(flat=False)
    for key in ("after", "before"):
        args.pop(key, None)
    context = dict(
        project=project, form=form, model=model, language=language, questions=questions,
        columns=columns, rows=rows, page=page, args=args, filters=request.args,
        review_states=REVIEW_STATES, channels=CHANNELS, submitters=_submitters(project_id),
        goals=[(n, formtext.sdg_title(str(n), current_language())) for n in range(1, 18)],
        map=maps.svg_map(points, _boundaries(project_id)), personal=personal,
        column_labels={f.path: formtext.field_label(f, language) for f in questions})
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "subs-table":
        return render_template("ui/_submissions_table.html", **context)
    return render_template("ui/submissions.html", **context)


def _submission(form: Form, instance_id: str):
    found = service.get_submission(form, instance_id)
    if found is None:
        raise problems.not_found()
    return found


def _repeat_tables(model: FormModel, data: dict, labels: choices.Labeller,
                   personal: personal_policy.Personal, language: str | None) -> list[dict]:
    """Each repeat's entries as a small table: its own questions' labels and answers."""
    tables = []
    for repeat in model.repeats():
        rows = (data.get("repeats") or {}).get(repeat.path) or []
        if not rows:
            continue
        fields = [f for f in model.questions() if repeat_of(model, f) == repeat.path
                  and f.readonly not in ("true()", "true")]
        tables.append({
            "label": formtext.field_label(repeat, language), "path": repeat.path,
            "columns": [formtext.field_label(f, language) for f in fields],
            "rows": [[display(f, row.get(f.path), labels, personal) for f in fields]
                     for row in rows]})
    return tables


def _flags(cleaned, personal: personal_policy.Personal) -> list[dict]:
    """Quality flags; a flagged personal answer shows as the rest of the page shows it."""
    out = []
    for flag in (cleaned.flags or []) if cleaned is not None else []:
        flag = dict(flag)
        if flag.get("value") not in (None, "") and not personal.clear:
            flag["value"] = personal.show(flag.get("field"), flag["value"])
        out.append(flag)
    return out


@ui.get(f"{FORM}/submissions/<instance_id>")
def submission(project_id: int, xml_form_id: str, instance_id: str):
    project = project_or_404(project_id)
    form, _model = _published(project_id, xml_form_id, "submission.read")
    sub = _submission(form, instance_id)
    current = service.current_def(sub)
    # The answers are read with the version they were made with (its questions, choices,
    # attached lists and personal fields), which may be older than the published one.
    version = db.session.get(FormVersion, current.form_version_id)
    model = schema_for(version.sha256, lambda: version.xml).model
    personal = personal_policy.for_form(form, model, CLEAR_READ)
    language = _language(model)
    labels = choices.Labeller(version, model, language)
    data = current.data or {}
    root = data.get("root", {})
    files = {a.name: a for a in service.attachments(current)}
    blobs = {b.id: b for b in db.session.query(Blob).filter(
        Blob.id.in_([a.blob_id for a in files.values() if a.blob_id] or [-1]))}
    answers, points = [], []
    for field in model.questions():
        if repeat_of(model, field) is not None or field.path not in root:
            continue
        value = root.get(field.path)
        item = {"label": formtext.field_label(field, language), "name": field.name,
                "value": display(field, value, labels, personal), "file": None}
        if field.control == "upload" and value:
            slot = files.get(str(value))
            blob = blobs.get(slot.blob_id) if slot and slot.blob_id else None
            item["file"] = {"name": value, "present": blob is not None,
                            "image": bool(blob and blob.content_type in SHOWN_IMAGE_TYPES),
                            "url": url_for("ui.submission_file", project_id=project_id,
                                           xml_form_id=xml_form_id, instance_id=instance_id,
                                           name=value)}
        if field.type == "geopoint" and field.path not in personal.paths \
                and maps.parse_geopoint(value):
            lat, lon = maps.parse_geopoint(value)
            points.append(maps.Point(lat, lon, item["label"]))
        answers.append(item)
    cleaned = submission_queries.cleaned(current.id)
    ui_language = current_language()
    tags = [{"tag": t, "code": t.indicator or t.target or str(t.goal),
             "title": formtext.sdg_title(t.indicator or t.target or str(t.goal), ui_language)}
            for t in submission_queries.sdg_tags(current.id)]
    comments = service.comments(sub)
    history = audits.entries(submission_id=sub.id, limit=100)
    wanted = ({sub.submitter_id} | {c.actor_id for c in comments}
              | {e.actor_id for e in history}) - {None}
    actors = {a.id: a.display_name for a in db.session.query(Actor).filter(
        Actor.id.in_(wanted or {-1}))}
    can_review = g.principal.can("submission.update", project_id)
    return render_template(
        "ui/submission.html", project=project, form=form, model=model, language=language,
        sub=sub, current=current, answers=answers,
        repeats=_repeat_tables(model, data, labels, personal, language), cleaned=cleaned,
        flags=_flags(cleaned, personal), personal=personal,
        pipeline=version_status(current.id),
        tags=tags, comments=comments, actors=actors, history=history,
        history_actors=actors, versions=service.versions(sub),
        map=maps.svg_map(points, _boundaries(project_id), 480, 300),
        can_review=can_review, review_states=service.REVIEWABLE)


@ui.post(f"{FORM}/submissions/<instance_id>/reprocess")
def reprocess_submission(project_id: int, xml_form_id: str, instance_id: str):
    """Clean and tag this submission again (the API's POST .../reprocess, managers)."""
    form = form_for(project_id, xml_form_id, "submission.update")
    current = service.current_def(_submission(form, instance_id))
    dispatch.after_commit(reprocess.request([current.id]))
    flash(_("Sent to the pipeline again."), "ok")
    return _back(project_id, xml_form_id, instance_id, "#pipeline")


@ui.post(f"{FORM}/submissions/<instance_id>/review")
def review(project_id: int, xml_form_id: str, instance_id: str):
    form = form_for(project_id, xml_form_id, "submission.update")
    sub = _submission(form, instance_id)
    actor_id = g.principal.actor.id
    service.set_review_state(form, sub, request.form.get("reviewState", ""), actor_id)
    note = request.form.get("comment", "").strip()
    if note:
        service.add_comment(sub, actor_id, note)
    db.session.commit()
    return _back(project_id, xml_form_id, instance_id, "#review")


@ui.post(f"{FORM}/submissions/<instance_id>/comments")
def comment(project_id: int, xml_form_id: str, instance_id: str):
    form = form_for(project_id, xml_form_id, "submission.update")
    sub = _submission(form, instance_id)
    service.add_comment(sub, g.principal.actor.id, request.form.get("body", ""))
    db.session.commit()
    return _back(project_id, xml_form_id, instance_id, "#comments")


def _back(project_id: int, xml_form_id: str, instance_id: str, anchor: str):
    return redirect(url_for("ui.submission", project_id=project_id, xml_form_id=xml_form_id,
                            instance_id=instance_id) + anchor)


@ui.get(f"{FORM}/submissions/<instance_id>/attachments/<name>")
def submission_file(project_id: int, xml_form_id: str, instance_id: str, name: str):
    """A submission's file; photos are shown in the page, anything else is downloaded."""
    form = form_for(project_id, xml_form_id, "submission.read")
    current = service.current_def(_submission(form, instance_id))
    slot = service.attachment(current, name)
    if slot is None or slot.blob_id is None:
        raise problems.not_found()
    blob = db.session.get(Blob, slot.blob_id)
    inline = blob.content_type in SHOWN_IMAGE_TYPES
    response = Response(storage.read_blob(blob), content_type=blob.content_type if inline
                        else "application/octet-stream")
    response.headers["Content-Disposition"] = (
        f'{"inline" if inline else "attachment"}; filename="{name}"')
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response

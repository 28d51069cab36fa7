"""Browsing submissions: a keyset-paged table with chosen columns and filters, and one
submission's answers (labels in the form's language), files, map, SDG tags, quality flags,
review state, comments and edit history."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Response, g, redirect, render_template, request, url_for

from app import problems
from app.exports.queries import Filters
from app.extensions import db
from app.indicators import overview
from app.models import CHANNELS, REVIEW_STATES, Actor, Blob, Form
from app.queries import submissions as submission_queries
from app.queries.submissions import Cursor
from app.services import app_users as app_user_service
from app.services import audits, storage
from app.services import submissions as service
from app.web.access import form_for, project_or_404
from app.web.ui import formtext, maps
from app.web.ui.blueprint import ui
from app.web.ui.i18n import current_language
from forms.flatten import repeat_of
from forms.model import Field, FormModel
from forms.sdg import catalogue
from sync.schema import schema_for

FORM = "/projects/<int:project_id>/forms/<xml_form_id>"
PAGE_SIZE = 50
DEFAULT_COLUMNS = 5
SHOWN_IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")


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
                   review_state="null" if review == "received" else review,
                   sdg=sdg if sdg is None or catalogue.is_known_code(sdg) else None,
                   submitter_id=int(submitter) if submitter.isdigit() else None)


def display(field: Field, value, language: str | None) -> str:
    """An answer as people read it: choice labels instead of names."""
    if value in (None, ""):
        return ""
    if field.control in ("select1", "select") and field.choices:
        labels = {c.name: formtext.choice_label(c, language) for c in field.choices}
        names = str(value).split() if field.control == "select" else [str(value)]
        return ", ".join(labels.get(n, n) for n in names)
    if field.type == "geopoint":
        point = maps.parse_geopoint(value)
        return f"{point[0]:.5f}, {point[1]:.5f}" if point else str(value)
    return str(value)


def _boundaries(project_id: int) -> dict | None:
    """The project's area boundaries (the dashboard's, app.indicators), for the maps."""
    row = overview.boundaries(project_id)
    return row.geojson if row is not None else None


def _submitters(project_id: int) -> list[tuple[int, str]]:
    """Whom the submitter filter offers: the project's app users (devices) and web users."""
    return [(a.actor_id, a.actor.display_name)
            for a in app_user_service.list_app_users(project_id)]


@ui.get(f"{FORM}/submissions")
def submissions(project_id: int, xml_form_id: str):
    project = project_or_404(project_id)
    form, model = _published(project_id, xml_form_id, "submission.list")
    language = _language(model)
    questions = _root_questions(model)
    chosen = [p for p in request.args.getlist("col") if model.has_field(p)]
    columns = [model.field(p) for p in chosen] or questions[:DEFAULT_COLUMNS]
    page = submission_queries.page(
        form.id, _filters(), after=Cursor.decode(request.args.get("after")),
        before=Cursor.decode(request.args.get("before")), size=PAGE_SIZE)
    geo = next((f for f in questions if f.type == "geopoint"), None)
    points = []
    rows = []
    for submission, current, submitter in page.rows:
        root = (current.data or {}).get("root", {})
        link = url_for("ui.submission", project_id=project_id, xml_form_id=xml_form_id,
                       instance_id=submission.instance_id)
        rows.append({"submission": submission, "name": current.instance_name,
                     "submitter": submitter, "link": link,
                     "cells": [display(f, root.get(f.path), language) for f in columns]})
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
        map=maps.svg_map(points, _boundaries(project_id)),
        column_labels={f.path: formtext.field_label(f, language) for f in questions})
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "subs-table":
        return render_template("ui/_submissions_table.html", **context)
    return render_template("ui/submissions.html", **context)


def _submission(form: Form, instance_id: str):
    found = service.get_submission(form, instance_id)
    if found is None:
        raise problems.not_found()
    return found


@ui.get(f"{FORM}/submissions/<instance_id>")
def submission(project_id: int, xml_form_id: str, instance_id: str):
    project = project_or_404(project_id)
    form, model = _published(project_id, xml_form_id, "submission.read")
    sub = _submission(form, instance_id)
    current = service.current_def(sub)
    language = _language(model)
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
                "value": display(field, value, language), "file": None}
        if field.control == "upload" and value:
            slot = files.get(str(value))
            blob = blobs.get(slot.blob_id) if slot and slot.blob_id else None
            item["file"] = {"name": value, "present": blob is not None,
                            "image": bool(blob and blob.content_type in SHOWN_IMAGE_TYPES),
                            "url": url_for("ui.submission_file", project_id=project_id,
                                           xml_form_id=xml_form_id, instance_id=instance_id,
                                           name=value)}
        if field.type == "geopoint" and maps.parse_geopoint(value):
            lat, lon = maps.parse_geopoint(value)
            points.append(maps.Point(lat, lon, item["label"]))
        answers.append(item)
    repeats = {path: len(rows) for path, rows in (data.get("repeats") or {}).items() if rows}
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
    return render_template(
        "ui/submission.html", project=project, form=form, model=model, language=language,
        sub=sub, current=current, answers=answers, repeats=repeats, cleaned=cleaned,
        tags=tags, comments=comments, actors=actors, history=history,
        history_actors=actors, versions=service.versions(sub),
        map=maps.svg_map(points, _boundaries(project_id), 480, 300),
        can_review=g.principal.can("submission.update", project_id),
        review_states=service.REVIEWABLE)


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

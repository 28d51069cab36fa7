"""A form's life in the browser: upload (errors with sheet, row and column), the draft's
questions with their SDG mapping and SMS/USSD readiness, trying it by SMS/USSD, publishing,
versions, media files, closing and reopening."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage

from app import problems
from app.extensions import db
from app.models import Form, FormVersion
from app.models.base import utcnow
from app.models.forms import FormState
from app.problems import Problem
from app.services import forms as form_service
from app.services import sms_readiness
from app.web.access import form_for, project_or_404
from app.web.auth import require
from app.web.ui import drafts, formtext
from app.web.ui.blueprint import ui
from app.web.ui.i18n import current_language
from forms.errors import FormError, XLSFormError, XLSFormWarnings
from sync.schema import schema_for

FORM = "/projects/<int:project_id>/forms/<xml_form_id>"


def _upload() -> tuple[bytes, str | None, str | None]:
    file: FileStorage | None = request.files.get("file")
    if file is None or not file.filename:
        raise problems.missing_parameter("file")
    return file.read(), file.mimetype, file.filename


def _issues(error: FormError) -> list[dict]:
    """An upload error as a list a coordinator can act on: where and what."""
    if isinstance(error, XLSFormWarnings):
        return [{"kind": "warning", "message": w} for w in error.warnings]
    out = [{"kind": "error", "message": error.message,
            "sheet": getattr(error, "sheet", None), "row": getattr(error, "row", None),
            "column": getattr(error, "column", None)}]
    if isinstance(error, XLSFormError):
        out += [{"kind": "warning", "message": w} for w in error.warnings]
    return out


@ui.get("/projects/<int:project_id>/forms/new")
def new_form(project_id: int):
    project = project_or_404(project_id, "form.create")
    return render_template("ui/form_new.html", project=project, issues=[], filename=None)


@ui.post("/projects/<int:project_id>/forms")
def upload_form(project_id: int):
    project = project_or_404(project_id, "form.create")
    data, content_type, filename = _upload()
    ignore = request.form.get("ignoreWarnings") == "1"
    try:
        compiled = form_service.compile_form(data, content_type, filename,
                                             fallback_form_id=_stem(filename),
                                             ignore_warnings=ignore)
        existing = form_service.get_form(project_id, compiled.form_id)
        if existing is not None:
            form_service.replace_draft(existing, compiled, g.principal.actor.id)
            form = existing
        else:
            form = form_service.create_form(project_id, compiled, g.principal.actor.id)
        db.session.commit()
    except FormError as error:
        db.session.rollback()
        return render_template("ui/form_new.html", project=project, issues=_issues(error),
                               filename=filename, warnings_only=isinstance(
                                   error, XLSFormWarnings)), 400
    flash(_("%(file)s uploaded as a draft. Check it, try it, then publish.", file=filename),
          "ok")
    return redirect(url_for("ui.form", project_id=project_id, xml_form_id=form.xml_form_id))


def _stem(filename: str | None) -> str | None:
    return filename.rsplit("/", 1)[-1].rsplit(".", 1)[0] if filename else None


def _kind(field) -> str:
    return {"select1": "select_one", "select": "select_multiple"}.get(field.control or "",
                                                                      field.type)


def _questions(version: FormVersion) -> tuple[list[dict], list[dict], list[str]]:
    """The definition's questions in body order with label, type and SDG codes."""
    model = schema_for(version.sha256, lambda: version.xml).model
    ui_language = current_language()
    language = formtext.form_language(model, ui_language)
    mapping = version.sdg_mapping or {}
    by_path = mapping.get("questions", {})
    rows = []
    for field in model.questions():
        codes = by_path.get(field.path, [])
        rows.append({"path": field.path, "name": field.name,
                     "label": formtext.field_label(field, language),
                     "type": _kind(field),
                     "required": field.required not in (None, "false()"),
                     "sdg": [{"code": c, "title": formtext.sdg_title(c, ui_language)}
                             for c in codes]})
    form_codes = [{"code": c, "title": formtext.sdg_title(c, ui_language)}
                  for c in mapping.get("form", [])]
    return rows, form_codes, list(model.languages)


@ui.get(FORM)
def form(project_id: int, xml_form_id: str):
    project = project_or_404(project_id)
    form = form_for(project_id, xml_form_id)
    principal = g.principal
    manager = principal.can("form.update", project_id)
    draft = form.draft_version if manager else None
    shown = draft or form.current_version
    questions, form_codes, languages = _questions(shown) if shown else ([], [], [])
    return render_template(
        "ui/form.html", project=project, form=form, draft=draft, shown=shown,
        current=form.current_version, questions=questions, form_codes=form_codes,
        form_languages=languages, manager=manager,
        readiness=sms_readiness.findings(draft.xml) if draft else None,
        versions=form_service.published_versions(form),
        can_read=principal.can("submission.read", project_id))


def _manage(project_id: int, xml_form_id: str) -> Form:
    return form_for(project_id, xml_form_id, "form.update")


def _back(form: Form, anchor: str = ""):
    return redirect(url_for("ui.form", project_id=form.project_id,
                            xml_form_id=form.xml_form_id) + anchor)


@ui.post(f"{FORM}/draft")
def upload_draft(project_id: int, xml_form_id: str):
    form = _manage(project_id, xml_form_id)
    data, content_type, filename = _upload()
    try:
        compiled = form_service.compile_form(
            data, content_type, filename, fallback_form_id=form.xml_form_id,
            ignore_warnings=request.form.get("ignoreWarnings") == "1")
        form_service.replace_draft(form, compiled, g.principal.actor.id)
        db.session.commit()
    except FormError as error:
        db.session.rollback()
        project = project_or_404(project_id)
        return render_template("ui/form_new.html", project=project, issues=_issues(error),
                               filename=filename, form=form, warnings_only=isinstance(
                                   error, XLSFormWarnings)), 400
    flash(_("%(file)s uploaded as the new draft.", file=filename), "ok")
    return _back(form)


@ui.post(f"{FORM}/draft/publish")
def publish(project_id: int, xml_form_id: str):
    form = _manage(project_id, xml_form_id)
    if form.draft_version_id is None:
        raise problems.not_found()
    version = request.form.get("version", "").strip() or None
    try:
        published = form_service.publish_draft(
            form, version, g.principal.actor.id,
            ignore_warnings=request.form.get("ignoreWarnings") == "1")
        db.session.commit()
    except (Problem, FormError) as error:
        db.session.rollback()
        message = error.message
        if getattr(error, "code", None) == 400.16:
            message += " " + "; ".join(getattr(error, "warnings", None)
                                       or (error.details or {}).get("warnings", []))
        flash(_("Not published: %(reason)s", reason=message), "error")
        return _back(form, "#publish")
    flash(_("Version %(version)s is published.", version=published.version or "–"), "ok")
    return _back(form)


@ui.post(f"{FORM}/draft/attachments/<name>")
def attach(project_id: int, xml_form_id: str, name: str):
    form = _manage(project_id, xml_form_id)
    if form.draft_version is None:
        form_service.replace_draft(form, None, g.principal.actor.id)
    data, content_type, _filename = _upload()
    form_service.set_attachment(form.draft_version, name, data, content_type)
    db.session.commit()
    flash(_("%(name)s attached to the draft.", name=name), "ok")
    return _back(form, "#media")


@ui.post(f"{FORM}/state")
def set_state(project_id: int, xml_form_id: str):
    form = _manage(project_id, xml_form_id)
    form_service.set_state(form, request.form.get("state", ""))
    db.session.commit()
    flash({FormState.OPEN: _("The form is open again."),
           FormState.CLOSING: _("The form is closing: no new devices get it."),
           FormState.CLOSED: _("The form is closed: it takes no more submissions.")}[form.state],
          "ok")
    return _back(form)


@ui.route(f"{FORM}/try", methods=["GET", "POST"])
def try_draft(project_id: int, xml_form_id: str):
    """The draft (or, without one, the published version) as an SMS chat or a USSD screen."""
    project = project_or_404(project_id)
    form = _manage(project_id, xml_form_id)
    require("form.update", project_id)
    version = form.draft_version or form.current_version
    if version is None:
        raise problems.not_found()
    medium = "ussd" if request.values.get("medium") == "ussd" else "sms"
    said, replies, token, finished = None, [], None, False
    if request.method == "POST":
        said = request.form.get("text", "").strip()
        replies, token, finished = drafts.turn(version, medium, said,
                                               request.form.get("state") or None, utcnow(),
                                               language=current_language())
    context = dict(project=project, form=form, version=version, medium=medium, said=said,
                   replies=replies, state=token, finished=finished)
    if request.headers.get("HX-Request") and request.method == "POST":
        return render_template("ui/_try_turn.html", **context)
    return render_template("ui/form_try.html", **context)

"""Forms, drafts, versions and form media in ODK Central's REST dialect (what pyodk calls)."""
from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import unquote

from flask import Response, current_app, g, jsonify, request
from sqlalchemy import Row, select

from app import problems
from app.extensions import db
from app.models import Form, FormAttachment, FormVersion
from app.queries import forms as form_queries
from app.services import forms as form_service
from app.services import sms_readiness, storage
from app.web.access import form_for
from app.web.api.blueprint import api
from app.web.api.common import (
    extended,
    iso,
    json_body,
    limited_body,
    listing,
    query_flag,
    success,
)
from app.web.api.serializers import actor_json
from app.web.auth import current_principal, require
from forms import privacy
from forms.review import ReviewState
from forms.xlsform import CompiledForm
from sync.schema import schema_for

FORMS = "/projects/<int:project_id>/forms"
FORM = f"{FORMS}/<xml_form_id>"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLS_TYPE = "application/vnd.ms-excel"

# --- lookups and access -------------------------------------------------------------------

def _version(version_id: int | None) -> FormVersion:
    version = db.session.get(FormVersion, version_id) if version_id else None
    if version is None:
        raise problems.not_found()
    return version


def _shown_version(form: Form) -> FormVersion:
    """The version a form's own URLs show: the published one, else the draft (404 if none)."""
    return _version(form.current_version_id or form.draft_version_id)


def _actor_id() -> int:
    return current_principal().actor.id


# --- JSON ---------------------------------------------------------------------------------

def form_json(form: Form | Row, version: FormVersion | Row | None, *,
              draft: bool = False) -> dict:
    """Central's Form: every field pyodk declares is present, nullable ones as null."""
    body = {
        "projectId": form.project_id, "xmlFormId": form.xml_form_id,
        "name": version.name if version else None,
        "version": version.version if version else "",
        "hash": version.hash if version else None,
        "sha": None, "sha256": version.sha256 if version else None,
        "state": form.state, "enketoId": None, "enketoOnceId": None, "keyId": None,
        "createdAt": iso(form.created_at), "updatedAt": iso(form.updated_at),
        "publishedAt": iso(version.published_at) if version else None,
        "draftToken": None, "webformsEnabled": False,
        "smsKeyword": version.sms_keyword if version else None,
        "sdg": version.sdg_mapping if version else None,
        "validated": version.validated if version else False,
    }
    if draft:
        body["publishedAt"] = None
    return body


def _extended_fields(forms: Sequence[Form | Row], project_id: int) -> dict[int, dict]:
    """Submission counts, last submission and creator for many forms, in two queries."""
    figures = form_queries.submission_figures(forms, project_id)
    creators = form_queries.creators(forms)
    out = {}
    for form in forms:
        counts, creator = figures[form.id], creators.get(form.created_by)
        out[form.id] = {
            "submissions": counts["submissions"], "lastSubmission": iso(counts["last"]),
            "reviewStates": {k: counts["byState"].get(k, 0)
                             for k in (ReviewState.RECEIVED.value, ReviewState.HAS_ISSUES.value,
                                       ReviewState.EDITED.value)},
            "createdBy": actor_json(creator) if creator else None,
            "excelContentType": getattr(form, "xlsform_content_type", None),
            "entityRelated": False, "publicLinks": 0,
        }
    return out


def _one(form: Form, version: FormVersion | None, *, draft: bool = False,
         sms: bool = False) -> Response:
    body = form_json(form, version, draft=draft)
    if version is not None:
        # Questions treated as personal data by a guess (a phone-like name...): masked, but
        # the coordinator should mark them in the `privacy` column (forms.privacy).
        body["privacyWarnings"] = privacy.warnings(
            schema_for(version.sha256, lambda: version.xml).model)
    if sms and version is not None:
        # Informational: what would stop or hamper this form over SMS/USSD (never blocks a
        # form no SMS/USSD channel serves; see app.services.sms_readiness).
        body["smsWarnings"] = sms_readiness.findings(version.xml).all()
    if extended():
        body.update(_extended_fields([form], form.project_id)[form.id])
        if version is not None:
            body["excelContentType"] = version.xlsform_content_type
    return jsonify(body)


def attachment_json(slot: FormAttachment) -> dict:
    present = slot.blob_id is not None
    return {"name": slot.name, "type": slot.type, "hash": slot.blob.md5 if present else None,
            "exists": present, "blobExists": present, "datasetExists": False,
            "updatedAt": iso(slot.updated_at)}


# --- uploads ------------------------------------------------------------------------------

def _compiled_upload() -> CompiledForm:
    """Compile the request body (XLSForm or XForm) as Central's form upload does."""
    data = limited_body(int(current_app.config["MAX_FORM_UPLOAD_BYTES"]))
    fallback = request.headers.get("X-XlsForm-FormId-Fallback")
    return form_service.compile_form(
        data, request.content_type, fallback_form_id=unquote(fallback) if fallback else None,
        ignore_warnings=query_flag("ignoreWarnings"))


# --- forms --------------------------------------------------------------------------------

@api.get(FORMS)
def list_forms(project_id: int):
    principal = require("form.list", project_id)
    forms = form_queries.visible_forms(principal, project_id)
    items = [form_json(row, row if row.version_id else None,
                       draft=row.current_version_id is None) for row in forms]
    if extended():
        more = _extended_fields(forms, project_id)
        for item, form in zip(items, forms, strict=True):
            item.update(more[form.id])
    return listing(items)


@api.post(FORMS)
def create_form(project_id: int):
    require("form.create", project_id)
    compiled = _compiled_upload()
    publish = query_flag("publish")
    form = form_service.create_form(project_id, compiled, _actor_id(), publish=publish,
                                    ignore_warnings=query_flag("ignoreWarnings"))
    db.session.commit()
    version = _version(form.current_version_id if publish else form.draft_version_id)
    return _one(form, version, draft=not publish, sms=bool(version and version.sms_keyword))


@api.get(FORM)
def get_form(project_id: int, xml_form_id: str):
    form = form_for(project_id, xml_form_id)
    if form.current_version_id is None:
        return _one(form, _version(form.draft_version_id), draft=True)
    return _one(form, _version(form.current_version_id))


@api.patch(FORM)
def update_form(project_id: int, xml_form_id: str):
    form = form_for(project_id, xml_form_id, "form.update")
    form_service.set_state(form, json_body("state")["state"])
    db.session.commit()
    return _one(form, _shown_version(form),
                draft=form.current_version_id is None)


@api.delete(FORM)
def delete_form(project_id: int, xml_form_id: str):
    form = form_for(project_id, xml_form_id, "form.delete")
    form_service.delete_form(form)
    db.session.commit()
    return success()


def _xml(version: FormVersion) -> Response:
    return Response(version.xml.encode("utf-8"), content_type="application/xml; charset=utf-8")


def _workbook(version: FormVersion, content_type: str) -> Response:
    if version.xlsform is None or (version.xlsform_content_type or XLSX_TYPE) != content_type:
        raise problems.not_found()
    return Response(version.xlsform, content_type=content_type)


@api.get(f"{FORM}.xml")
def form_xml(project_id: int, xml_form_id: str):
    form = form_for(project_id, xml_form_id)
    return _xml(_shown_version(form))


@api.get(f"{FORM}.xlsx")
def form_xlsx(project_id: int, xml_form_id: str):
    form = form_for(project_id, xml_form_id)
    return _workbook(_shown_version(form), XLSX_TYPE)


@api.get(f"{FORM}.xls")
def form_xls(project_id: int, xml_form_id: str):
    form = form_for(project_id, xml_form_id)
    return _workbook(_shown_version(form), XLS_TYPE)


# --- drafts -------------------------------------------------------------------------------

@api.get(f"{FORM}/draft")
def get_draft(project_id: int, xml_form_id: str):
    form = form_for(project_id, xml_form_id, "form.update")
    return _one(form, _version(form.draft_version_id), draft=True, sms=True)


@api.post(f"{FORM}/draft")
def create_draft(project_id: int, xml_form_id: str):
    form = form_for(project_id, xml_form_id, "form.update")
    has_body = (request.content_length or 0) > 0 or "chunked" in request.headers.get(
        "Transfer-Encoding", "").lower()
    compiled = _compiled_upload() if has_body else None
    form_service.replace_draft(form, compiled, _actor_id())
    db.session.commit()
    return success()


@api.delete(f"{FORM}/draft")
def delete_draft(project_id: int, xml_form_id: str):
    form = form_for(project_id, xml_form_id, "form.update")
    if form.current_version_id is None:
        raise problems.no_published_version()
    _version(form.draft_version_id)
    form.draft_version_id = None
    db.session.commit()
    return success()


@api.get(f"{FORM}/draft.xml")
def draft_xml(project_id: int, xml_form_id: str):
    form = form_for(project_id, xml_form_id, "form.update")
    return _xml(_version(form.draft_version_id))


@api.get(f"{FORM}/draft.xlsx")
def draft_xlsx(project_id: int, xml_form_id: str):
    form = form_for(project_id, xml_form_id, "form.update")
    return _workbook(_version(form.draft_version_id), XLSX_TYPE)


@api.post(f"{FORM}/draft/publish")
def publish(project_id: int, xml_form_id: str):
    form = form_for(project_id, xml_form_id, "form.update")
    _version(form.draft_version_id)
    version = request.args.get("version")
    form_service.publish_draft(form, version if version not in (None, "") else None,
                               _actor_id(), ignore_warnings=query_flag("ignoreWarnings"))
    db.session.commit()
    return success()


# --- media --------------------------------------------------------------------------------

def _slot(version: FormVersion, name: str) -> FormAttachment:
    slot = db.session.scalar(select(FormAttachment).where(
        FormAttachment.form_version_id == version.id, FormAttachment.name == name))
    if slot is None:
        raise problems.not_found()
    return slot


def _download(slot: FormAttachment) -> Response:
    """The stored file with its type and an ETag (Collect and Central's clients cache it)."""
    if slot.blob is None:
        raise problems.not_found()
    etag = slot.blob.md5
    if etag in request.if_none_match:
        response = Response(status=304)
    else:
        response = Response(storage.read_blob(slot.blob),
                            content_type=slot.blob.content_type or "application/octet-stream")
        response.headers["Content-Disposition"] = f'attachment; filename="{slot.name}"'
    response.set_etag(etag)
    return response


def _attachments(version: FormVersion) -> Response:
    slots = db.session.scalars(select(FormAttachment).where(
        FormAttachment.form_version_id == version.id).order_by(FormAttachment.name))
    return jsonify([attachment_json(s) for s in slots])


@api.get(f"{FORM}/draft/attachments")
def draft_attachments(project_id: int, xml_form_id: str):
    form = form_for(project_id, xml_form_id, "form.update")
    return _attachments(_version(form.draft_version_id))


@api.post(f"{FORM}/draft/attachments/<name>")
def upload_draft_attachment(project_id: int, xml_form_id: str, name: str):
    form = form_for(project_id, xml_form_id, "form.update")
    draft = _version(form.draft_version_id)
    _slot(draft, name)
    data = limited_body(int(current_app.config["MAX_SUBMISSION_BYTES"]))
    slot = form_service.set_attachment(draft, name, data, request.mimetype or None)
    db.session.commit()
    return jsonify(attachment_json(slot))


@api.get(f"{FORM}/draft/attachments/<name>")
def download_draft_attachment(project_id: int, xml_form_id: str, name: str):
    form = form_for(project_id, xml_form_id, "form.update")
    return _download(_slot(_version(form.draft_version_id), name))


@api.delete(f"{FORM}/draft/attachments/<name>")
def clear_draft_attachment(project_id: int, xml_form_id: str, name: str):
    form = form_for(project_id, xml_form_id, "form.update")
    form_service.clear_attachment(_version(form.draft_version_id), name)
    db.session.commit()
    return success()


@api.get(f"{FORM}/attachments")
def published_attachments(project_id: int, xml_form_id: str):
    form = form_for(project_id, xml_form_id)
    return _attachments(_version(form.current_version_id))


@api.get(f"{FORM}/attachments/<name>")
def download_form_attachment(project_id: int, xml_form_id: str, name: str):
    """Collect downloads form media here too (manifest downloadUrl): speak OpenRosa's header,
    and challenge for Digest on a 401 as the OpenRosa routes do."""
    from app.problems import Problem
    from app.web import digest
    from app.web.errors import problem_response

    try:
        form = form_for(project_id, xml_form_id)
        response = _download(_slot(_version(form.current_version_id), name))
    except Problem as problem:
        response = problem_response(problem)
        if problem.status == 401:
            response.headers.add("WWW-Authenticate", digest.challenge(
                current_app.config["SECRET_KEY"], stale=bool(g.get("digest_stale"))))
    response.headers["X-OpenRosa-Version"] = "1.0"
    return response


# --- versions -----------------------------------------------------------------------------

# Central's stand-in for the blank version in URLs (the XForms spec allows version="").
BLANK_VERSION = "___"


def _published(form: Form, version: str) -> FormVersion:
    if version == BLANK_VERSION:
        version = ""
    found = db.session.scalar(select(FormVersion).where(
        FormVersion.form_id == form.id, FormVersion.version == version,
        FormVersion.published_at.is_not(None)))
    if found is None:
        raise problems.not_found()
    return found


@api.get(f"{FORM}/versions")
def list_form_versions(project_id: int, xml_form_id: str):
    form = form_for(project_id, xml_form_id)
    return listing([form_json(form, v) for v in form_service.published_versions(form)])


@api.get(f"{FORM}/versions/<version>")
def get_form_version(project_id: int, xml_form_id: str, version: str):
    form = form_for(project_id, xml_form_id)
    return jsonify(form_json(form, _published(form, version)))


@api.get(f"{FORM}/versions/<version>.xml")
def form_version_xml(project_id: int, xml_form_id: str, version: str):
    form = form_for(project_id, xml_form_id)
    return _xml(_published(form, version))


@api.get(f"{FORM}/versions/<version>.xlsx")
def form_version_xlsx(project_id: int, xml_form_id: str, version: str):
    form = form_for(project_id, xml_form_id)
    return _workbook(_published(form, version), XLSX_TYPE)


@api.get(f"{FORM}/versions/<version>.xls")
def form_version_xls(project_id: int, xml_form_id: str, version: str):
    form = form_for(project_id, xml_form_id)
    return _workbook(_published(form, version), XLS_TYPE)


@api.get(f"{FORM}/versions/<version>/attachments")
def form_version_attachments(project_id: int, xml_form_id: str, version: str):
    form = form_for(project_id, xml_form_id)
    return _attachments(_published(form, version))


@api.get(f"{FORM}/versions/<version>/attachments/<name>")
def download_form_version_attachment(project_id: int, xml_form_id: str, version: str,
                                     name: str):
    form = form_for(project_id, xml_form_id)
    return _download(_slot(_published(form, version), name))


# --- schema -------------------------------------------------------------------------------

def _fields(version: FormVersion) -> Response:
    """Central's form schema: every instance node with its path below the root and type."""
    from forms.model import parse_xform

    model = parse_xform(version.xml.encode("utf-8"))
    out = []
    for field in model.fields:
        path = "/" + field.path.split("/", 2)[2]
        kind = {"group": "structure", "repeat": "repeat"}.get(field.kind, field.type)
        out.append({"name": field.name, "path": path, "type": kind,
                    "binary": True if field.type == "binary" else None,
                    "selectMultiple": True if field.control == "select" else None})
    return jsonify(out)


@api.get(f"{FORM}/fields")
def form_fields(project_id: int, xml_form_id: str):
    form = form_for(project_id, xml_form_id)
    return _fields(_shown_version(form))


@api.get(f"{FORM}/draft/fields")
def draft_fields(project_id: int, xml_form_id: str):
    form = form_for(project_id, xml_form_id, "form.update")
    return _fields(_version(form.draft_version_id))

"""OpenRosa for ODK Collect: formList, manifest, HEAD/POST submission.

Registered on the `api` blueprint, so every route exists under /v1/projects/{pid}/... (Digest,
or Basic over HTTPS) and /v1/key/{token}/projects/{pid}/... (app-user token in the path).
"""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import quote

from flask import current_app, g, request
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge

from app import problems
from app.extensions import db
from app.models import Blob, Form, FormAssignment, FormAttachment, FormVersion
from app.models.forms import FormState
from app.problems import Problem
from app.services import forms as form_service
from app.services import projects as project_service
from app.web import digest, multipart, openrosa_xml
from app.web.api.blueprint import api
from app.web.auth import current_principal, is_https
from sync import errors as ingest_errors
from sync.ingest import FormRef, ingest


def _accept_length() -> int:
    return int(current_app.config["MAX_SUBMISSION_BYTES"])


def openrosa(view: Callable) -> Callable:
    """Answer every outcome, errors included, as an OpenRosa response; 401s carry challenges."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except Problem as problem:
            response = openrosa_xml.error(problem.status, problem.message,
                                          accept_content_length=_accept_length())
            if problem.status == 401:
                _add_challenges(response)
            if problem.status == 429 and problem.details:
                response.headers["Retry-After"] = str(problem.details.get("retryAfter", ""))
            return response
        except ingest_errors.IngestError as failure:
            return openrosa_xml.error(failure.status, failure.message,
                                      accept_content_length=_accept_length())
        except RequestEntityTooLarge:
            return openrosa_xml.error(413, problems.too_large(_accept_length()).message,
                                      accept_content_length=_accept_length())

    return wrapper


def _add_challenges(response) -> None:
    """Digest always (Collect sends Basic only over https); Basic too when we are https."""
    secret = current_app.config["SECRET_KEY"]
    response.headers.add("WWW-Authenticate",
                         digest.challenge(secret, stale=bool(g.get("digest_stale"))))
    if is_https():
        response.headers.add("WWW-Authenticate", f'Basic realm="{digest.REALM}", charset="UTF-8"')


def _project_base(project_id: int) -> str:
    """The URL prefix this request came in on, so Collect keeps using the same credentials."""
    base = current_app.config["PUBLIC_URL"]
    if "key_token" in g:
        base += f"/v1/key/{quote(g.key_token, safe='')}"
    else:
        base += "/v1"
    return f"{base}/projects/{project_id}"


def _caller(verb: str, project_id: int):
    """Authenticate (401 + challenge), then 404 for no project, 403 without `verb` on it."""
    principal = current_principal()
    assert principal is not None
    if project_service.get_project(project_id) is None:
        raise problems.not_found()
    if not principal.can(verb, project_id):
        raise problems.insufficient_rights()
    return principal


@api.get("/projects/<int:project_id>/formList")
@openrosa
def form_list(project_id: int):
    principal = _caller("form.list", project_id)
    has_media = select(FormAttachment.id).where(
        FormAttachment.form_version_id == FormVersion.id).exists()
    query = (select(Form.xml_form_id, FormVersion.name, FormVersion.version, FormVersion.hash,
                    has_media)
             .join(FormVersion, FormVersion.id == Form.current_version_id)
             .where(Form.project_id == project_id, Form.deleted_at.is_(None),
                    Form.state == FormState.OPEN)
             .order_by(Form.xml_form_id))
    if principal.app_user is not None:
        query = query.where(Form.id.in_(select(FormAssignment.form_id).where(
            FormAssignment.actor_id == principal.actor.id)))
    entries = [openrosa_xml.FormListEntry(*row) for row in db.session.execute(query)]
    return openrosa_xml.response(openrosa_xml.form_list(entries, _project_base(project_id)))


@api.get("/projects/<int:project_id>/forms/<xml_form_id>/manifest")
@openrosa
def manifest(project_id: int, xml_form_id: str):
    principal = _caller("form.read", project_id)
    form = form_service.get_form(project_id, xml_form_id)
    if form is None or form.current_version_id is None:
        raise problems.not_found()
    if not principal.can_form("form.read", project_id, form.id):
        raise problems.insufficient_rights()
    rows = db.session.execute(
        select(FormAttachment.name, Blob.md5).join(Blob, Blob.id == FormAttachment.blob_id)
        .where(FormAttachment.form_version_id == form.current_version_id)
        .order_by(FormAttachment.name))
    files = [openrosa_xml.MediaFile(name, md5) for name, md5 in rows]
    form_url = f"{_project_base(project_id)}/forms/{quote(xml_form_id, safe='')}"
    return openrosa_xml.response(openrosa_xml.manifest(files, form_url))


@api.route("/projects/<int:project_id>/submission", methods=["HEAD", "GET"])
@openrosa
def submission_head(project_id: int):
    _caller("submission.create", project_id)
    return openrosa_xml.no_content(_accept_length())


def _submission_parts() -> tuple[bytes, dict[str, Any]]:
    """The instance XML and the attached files (by name) of a submission POST. Collect sends
    the XML as a file part `xml_submission_file`; some clients send it as a plain field. A
    body of the plain shape is split at once (app.web.multipart), else werkzeug parses it."""
    parts = None
    boundary = request.mimetype_params.get("boundary")
    if request.mimetype == "multipart/form-data" and boundary and \
            request.content_length is not None:
        parts = multipart.split(request.get_data(cache=True, parse_form_data=False), boundary)
    if parts is not None:
        files = [part for part in parts if part.filename is not None]
        xml_file = next((p.data for p in files if p.name == "xml_submission_file"), None)
        field = next((p.data for p in parts
                      if p.filename is None and p.name == "xml_submission_file"), b"")
        xml = xml_file if xml_file is not None else \
            field.decode("utf-8", "replace").encode("utf-8")
        attachments: dict[str, Any] = {
            (p.name if p.name != "file" else p.filename or p.name): p.data
            for p in files if p.name != "xml_submission_file"}
    else:
        found = request.files
        xml_part = found.get("xml_submission_file")
        xml = xml_part.read() if xml_part is not None else \
            request.form.get("xml_submission_file", "").encode("utf-8")
        attachments = {(name if name != "file" else part.filename or name): part.stream
                       for name, part in found.items(multi=True)
                       if name != "xml_submission_file"}
    if not xml:
        raise problems.missing_multipart_field("xml_submission_file")
    return xml, attachments


@api.post("/projects/<int:project_id>/submission")
@openrosa
def submission_post(project_id: int):
    limit = _accept_length()
    # Refuse an announced oversize body before reading it; a chunked one stops at the limit.
    if request.content_length is not None and request.content_length > limit:
        raise RequestEntityTooLarge()
    request.max_content_length = limit
    principal = current_principal()
    assert principal is not None
    if not principal.can("submission.create", project_id):
        _caller("submission.create", project_id)  # 404 for no project, else 403
    # Whoever may submit here gets past this point without a project query: ingest's form
    # lookup joins the live project, so a deleted one is 404 there.
    xml, attachments = _submission_parts()
    app_user = principal.app_user

    def authorize(form: FormRef) -> None:
        # App users may submit only to their assigned forms (the lookup says whether);
        # everyone else by project role, already checked above.
        if app_user is not None and not (app_user.project_id == project_id and form.assigned):
            raise problems.insufficient_rights()

    ingest(project_id=project_id, xml=xml, attachments=attachments,
           channel="collect", submitter_id=principal.actor.id,
           device_id=request.args.get("deviceID"), user_agent=request.user_agent.string,
           authorize=authorize, assignee_id=principal.actor.id if app_user else None)
    return openrosa_xml.created(accept_content_length=limit)

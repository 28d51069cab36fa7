"""Form use cases: create from an upload, drafts, publish, versions, media slots."""
from __future__ import annotations

import hashlib
import re

from flask import current_app
from sqlalchemy import select

from app import problems
from app.extensions import db
from app.models import Audit, Form, FormAttachment, FormVersion
from app.models.base import utcnow
from app.models.forms import FORM_STATES, FormState
from app.queries.forms import get_form  # noqa: F401  (callers say form_service.get_form)
from app.services import storage
from forms.xlsform import CompiledForm, compile_upload, set_version

FILE_LIKE_ID = re.compile(r"\.(xlsx?|xml)$")


def _md5(xml: bytes) -> str:
    return hashlib.md5(xml).hexdigest()


def compile_form(data: bytes, content_type: str | None, filename: str | None = None, *,
                 fallback_form_id: str | None = None,
                 ignore_warnings: bool = False) -> CompiledForm:
    """An uploaded XLSForm or XForm compiled as Central compiles it (ODK Validate when the
    server runs it); raises FormError naming sheet, row and column, or a 400 for a file-like
    form id."""
    limit = int(current_app.config["MAX_FORM_UPLOAD_BYTES"])
    compiled = compile_upload(
        data, content_type, filename, fallback_form_id=fallback_form_id,
        ignore_warnings=ignore_warnings, validate=bool(current_app.config.get("ODK_VALIDATE")),
        max_bytes=limit)
    if FILE_LIKE_ID.search(compiled.form_id):
        raise problems.unexpected_value(
            "formId", compiled.form_id, "The Form ID cannot end in .xls, .xlsx, or .xml. Please "
            "either specify an allowed ID in the form itself, or rename the file.")
    return compiled


def set_state(form: Form, state: str) -> Form:
    """Open, closing (no new devices) or closed (no new submissions)."""
    if state not in FORM_STATES:
        raise problems.unexpected_value("state", state, f"expected one of {FORM_STATES}")
    form.state = state
    form.updated_at = utcnow()
    return form


def delete_form(form: Form) -> None:
    """Soft-delete; its SMS keyword is freed for another form."""
    form.deleted_at = utcnow()
    form.sms_keyword = None


def _new_version(form: Form, compiled: CompiledForm, actor_id: int | None,
                 previous: FormVersion | None) -> FormVersion:
    version = FormVersion(
        form_id=form.id, version=compiled.version or "", name=compiled.title or None,
        xml=compiled.xml.decode("utf-8"), hash=_md5(compiled.xml),
        sha256=hashlib.sha256(compiled.xml).hexdigest(), xlsform=compiled.xlsform,
        xlsform_content_type=getattr(compiled, "xlsform_content_type", None),
        sdg_mapping=compiled.sdg.to_json(), disaggregation=dict(compiled.disaggregation),
        sms_keyword=compiled.sms_keyword, conversation=compiled.conversation.to_json(),
        validated=compiled.validated, warnings=list(compiled.warnings), created_by=actor_id,
        indicators=[spec.to_json() for spec in getattr(compiled, "indicators", ())],
    )
    db.session.add(version)
    db.session.flush()
    # Media already uploaded for a slot of the same name carries over to the new definition.
    carried = {a.name: a.blob_id for a in previous.attachments} if previous else {}
    for slot in compiled.attachments:
        db.session.add(FormAttachment(form_version_id=version.id, name=slot.name,
                                      type=slot.type, blob_id=carried.get(slot.name),
                                      updated_at=utcnow() if carried.get(slot.name) else None))
    db.session.flush()
    return version


def create_form(project_id: int, compiled: CompiledForm, actor_id: int | None, *,
                publish: bool = False, ignore_warnings: bool = False) -> Form:
    """A new form with its first definition as a draft (or published at once)."""
    if get_form(project_id, compiled.form_id) is not None:
        raise problems.uniqueness_violation("projectId, xmlFormId",
                                            f"{project_id}, {compiled.form_id}")
    form = Form(project_id=project_id, xml_form_id=compiled.form_id, state=FormState.OPEN,
                created_by=actor_id)
    db.session.add(form)
    db.session.flush()
    form.draft_version_id = _new_version(form, compiled, actor_id, None).id
    db.session.flush()
    if publish:
        publish_draft(form, None, actor_id, ignore_warnings=ignore_warnings)
    _audit(actor_id, "form.create", form)
    return form


def replace_draft(form: Form, compiled: CompiledForm | None, actor_id: int | None) -> FormVersion:
    """A new draft from an upload, or (no upload) a copy of the published definition."""
    base = form.draft_version or form.current_version
    if compiled is None:
        if form.current_version is None:
            raise problems.not_found()
        if form.draft_version is not None:
            return form.draft_version
        source = form.current_version
        draft = FormVersion(
            form_id=form.id, version=source.version, name=source.name, xml=source.xml,
            hash=source.hash, sha256=source.sha256, xlsform=source.xlsform,
            xlsform_content_type=source.xlsform_content_type, sdg_mapping=source.sdg_mapping,
            disaggregation=source.disaggregation, sms_keyword=source.sms_keyword,
            conversation=source.conversation, validated=source.validated,
            warnings=source.warnings, created_by=actor_id)
        db.session.add(draft)
        db.session.flush()
        for attachment in source.attachments:
            db.session.add(FormAttachment(form_version_id=draft.id, name=attachment.name,
                                          type=attachment.type, blob_id=attachment.blob_id,
                                          updated_at=attachment.updated_at))
    else:
        if compiled.form_id != form.xml_form_id:
            raise problems.unexpected_value(
                "xmlFormId", compiled.form_id,
                f"the form you have uploaded does not match the form being updated "
                f"({form.xml_form_id})")
        draft = _new_version(form, compiled, actor_id, base)
    form.draft_version_id = draft.id
    form.updated_at = utcnow()
    db.session.flush()
    return draft


def publish_draft(form: Form, version: str | None, actor_id: int | None, *,
                  ignore_warnings: bool = False) -> FormVersion:
    """Publish the draft; `version` rewrites the instance's version attribute first.

    A form that a live SMS/USSD channel of the project would serve is checked for SMS/USSD
    first (app.services.sms_readiness): refused when a required question cannot be answered
    by text; USSD screen-fit warnings answer 400.16 unless `ignore_warnings`."""
    draft = form.draft_version
    if draft is None:
        raise problems.not_found()
    if version is not None:
        xml = set_version(draft.xml.encode("utf-8"), version)
        if isinstance(xml, tuple):
            xml = xml[0]
        draft.xml = xml.decode("utf-8")
        draft.hash = _md5(xml)
        draft.sha256 = hashlib.sha256(xml).hexdigest()
        draft.version = version
    clash = db.session.scalar(select(FormVersion.id).where(
        FormVersion.form_id == form.id, FormVersion.version == draft.version,
        FormVersion.published_at.is_not(None)))
    if clash is not None:
        raise problems.version_uniqueness(form.xml_form_id, draft.version)
    if draft.sms_keyword:
        other = db.session.scalar(select(Form.xml_form_id).where(
            Form.project_id == form.project_id, Form.sms_keyword == draft.sms_keyword,
            Form.id != form.id, Form.deleted_at.is_(None)))
        if other is not None:
            raise problems.uniqueness_violation("sms_keyword", f"{draft.sms_keyword} (used by "
                                                               f"form {other})")
    from app.services import sms_readiness

    sms_readiness.check_publish(form, draft, ignore_warnings=ignore_warnings)
    draft.published_at = utcnow()
    form.current_version_id = draft.id
    form.draft_version_id = None
    form.sms_keyword = draft.sms_keyword
    form.updated_at = draft.published_at
    db.session.flush()
    _audit(actor_id, "form.update.publish", form, {"version": draft.version})
    from app.indicators import jobs, service

    jobs.rebuild_later(service.sync_from_form(form, draft))
    return draft


def set_attachment(version: FormVersion, name: str, data: bytes,
                   content_type: str | None) -> FormAttachment:
    """Fill a media slot the form declared; any other name is 404."""
    slot = db.session.scalar(select(FormAttachment).where(
        FormAttachment.form_version_id == version.id, FormAttachment.name == name))
    if slot is None:
        raise problems.not_found()
    slot.blob_id = storage.store_blob(data, content_type).id
    slot.updated_at = utcnow()
    db.session.flush()
    return slot


def clear_attachment(version: FormVersion, name: str) -> FormAttachment:
    slot = db.session.scalar(select(FormAttachment).where(
        FormAttachment.form_version_id == version.id, FormAttachment.name == name))
    if slot is None:
        raise problems.not_found()
    slot.blob_id = None
    slot.updated_at = utcnow()
    return slot


def published_versions(form: Form) -> list[FormVersion]:
    return list(db.session.scalars(select(FormVersion).where(
        FormVersion.form_id == form.id, FormVersion.published_at.is_not(None)
    ).order_by(FormVersion.published_at.desc())))


def _audit(actor_id: int | None, action: str, form: Form, details: dict | None = None) -> None:
    db.session.add(Audit(actor_id=actor_id, action=action, project_id=form.project_id,
                         form_id=form.id, details=details or {}))

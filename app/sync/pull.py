"""Forms down: every published version of every form of the other server's project, with
its media files and its open/closing/closed state, into a local project.

Each version is stored with the other server's XForm bytes unchanged (so its hash, which
Collect compares, is the same on both sides), and published in the order the other server
published it; the other server's current version ends current here. A version already here
is not fetched again; when nothing changed the whole pull is one request. The XLSForm a
version came from is fetched too when the server kept it, for what only the workbook says
(SDG mapping, SMS keyword, disaggregation). New forms are assigned to the project's app
users so the office's Collect devices see them. Nothing here is ever deleted.
"""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.models import Blob, Form, FormAttachment, FormVersion
from app.models.forms import FormState
from app.problems import Problem
from app.services import app_users, storage
from app.services import forms as form_service
from forms.errors import FormError
from forms.xlsform import compile_upload
from sync.remote import Remote

log = logging.getLogger(__name__)


@dataclass
class PullReport:
    forms_created: int = 0
    versions_added: int = 0
    media_files: int = 0
    states_changed: int = 0
    skipped: list[str] = field(default_factory=list)


def pull_forms(remote: Remote, project_id: int, *,
               progress: Callable[[str], None] | None = None) -> PullReport:
    """Bring the local project's forms level with the remote project's (see module doc)."""
    report = PullReport()
    for entry in remote.forms():
        if not entry.get("publishedAt"):
            continue  # a draft that was never published: nothing for Collect yet
        xml_form_id = entry["xmlFormId"]
        try:
            _pull_form(remote, project_id, entry, report)
        except (Problem, FormError) as error:
            db.session.rollback()
            message = getattr(error, "message", str(error))
            report.skipped.append(f"{xml_form_id}: {message}")
            log.warning("sync: form %s not pulled: %s", xml_form_id, message)
        if progress is not None:
            progress(xml_form_id)
    return report


def _current_matches(form: Form | None, entry: dict[str, Any]) -> bool:
    if form is None or form.current_version_id is None:
        return False
    current = db.session.get(FormVersion, form.current_version_id)
    return current.version == (entry.get("version") or "") and current.hash == entry.get("hash")


def _pull_form(remote: Remote, project_id: int, entry: dict[str, Any],
               report: PullReport) -> None:
    xml_form_id = entry["xmlFormId"]
    form = form_service.get_form(project_id, xml_form_id)
    if not _current_matches(form, entry):
        created = form is None
        known = {v.version: v for v in form_service.published_versions(form)} if form else {}
        versions = sorted(remote.form_versions(xml_form_id),
                          key=lambda v: v.get("publishedAt") or "")
        for version in versions:
            name = version.get("version") or ""
            if name in known:
                if known[name].hash != version.get("hash"):
                    report.skipped.append(f"{xml_form_id} version {name!r}: another XForm "
                                          "with this version is published here")
                continue
            form = _add_version(remote, project_id, form, xml_form_id, name, report)
            known[name] = db.session.get(FormVersion, form.current_version_id)
        if form is None:
            return
        _make_current(form, entry.get("version") or "")
        if created:
            report.forms_created += 1
            for app_user in app_users.list_app_users(project_id):
                app_users.assign_form(form, app_user.actor_id, "app-user")
        db.session.commit()
    state = entry.get("state") or FormState.OPEN
    if form.state != state:
        form.state = state
        report.states_changed += 1
        db.session.commit()


def _compiled(remote: Remote, xml_form_id: str, version: str, xml: bytes):
    compiled = compile_upload(xml, "application/xml", validate=False)
    workbook = remote.form_version_workbook(xml_form_id, version)
    if workbook is None:
        return compiled
    data, content_type = workbook
    try:
        from_workbook = compile_upload(data, content_type.split(";")[0] or None,
                                       f"{xml_form_id}.xlsx", validate=False,
                                       ignore_warnings=True)
    except FormError as error:  # another pyxform: keep the XForm, lose only the extras
        log.warning("sync: workbook of %s %r not compiled here: %s", xml_form_id, version,
                    error)
        return replace(compiled, xlsform=data, xlsform_content_type=content_type or None)
    return replace(compiled, sdg=from_workbook.sdg, sms_keyword=from_workbook.sms_keyword,
                   disaggregation=from_workbook.disaggregation, xlsform=data,
                   xlsform_content_type=from_workbook.xlsform_content_type or content_type)


def _add_version(remote: Remote, project_id: int, form: Form | None, xml_form_id: str,
                 version: str, report: PullReport) -> Form:
    """Fetch the version (XForm, workbook, media) first, then store it in one short
    transaction: nothing here waits on the line while it holds the office's database (on
    SQLite one open write blocks every other writer: the office's phones would wait)."""
    xml = remote.form_version_xml(xml_form_id, version)
    compiled = _compiled(remote, xml_form_id, version, xml)
    media = {}
    for entry in remote.form_version_attachments(xml_form_id, version):
        if not entry.get("exists"):
            continue
        known = _local_media(entry.get("hash"))
        if known is not None:  # the same bytes are here already (an earlier version)
            media[entry["name"]] = (*known, False)
            continue
        data, content_type = remote.form_version_attachment(xml_form_id, version,
                                                            entry["name"])
        media[entry["name"]] = (data, (content_type or "").split(";")[0] or None, True)
    db.session.rollback()  # end the reads: the writes below start and end together
    if form is not None:
        form = db.session.get(Form, form.id)
    if form is None:
        form = form_service.create_form(project_id, compiled, None, publish=False)
    else:
        form_service.replace_draft(form, compiled, None)
    db.session.flush()
    db.session.refresh(form)
    draft = db.session.get(FormVersion, form.draft_version_id)
    for name, (data, content_type, fetched) in media.items():
        slot = db.session.scalar(select(FormAttachment).where(
            FormAttachment.form_version_id == draft.id, FormAttachment.name == name))
        if slot is not None and slot.blob_id is not None and \
                db.session.get(Blob, slot.blob_id).md5 == hashlib.md5(data).hexdigest():
            continue  # carried over from the previous version, same bytes
        form_service.set_attachment(draft, name, data, content_type)
        report.media_files += fetched
    form_service.publish_draft(form, None, None, ignore_warnings=True)
    db.session.commit()
    report.versions_added += 1
    return form


def _local_media(md5: str | None) -> tuple[bytes, str | None] | None:
    """The bytes (and type) of a file with this MD5 (Central's media hash) stored here."""
    if not md5:
        return None
    blob = db.session.scalar(select(Blob).where(Blob.md5 == md5).limit(1))
    if blob is None:
        return None
    try:
        data = storage.read_blob(blob)
    except FileNotFoundError:
        return None
    return (data, blob.content_type) if hashlib.md5(data).hexdigest() == md5 else None


def _make_current(form: Form, version: str) -> None:
    """The other server's current version is current here too (a version it published
    earlier may have arrived later)."""
    wanted = db.session.scalar(select(FormVersion.id).where(
        FormVersion.form_id == form.id, FormVersion.version == version,
        FormVersion.published_at.is_not(None)))
    if wanted is not None and form.current_version_id != wanted:
        form.current_version_id = wanted

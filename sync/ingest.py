"""The one door into the shared database: every channel stores a submission through `ingest`.

`ingest` owns its transaction: it commits on success and rolls back on any error, so a caller
must not leave other pending work in the session. After the commit it hands the new outbox
rows to the pipeline (`app.pipeline.dispatch.after_commit`) when that module exists.
"""
from __future__ import annotations

import hashlib
import importlib
import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import IO, Any
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import load_only

from app.extensions import db
from app.models import (
    Form,
    FormVersion,
    PipelineOutbox,
    Submission,
    SubmissionAttachment,
    SubmissionDef,
)
from app.models.base import utcnow
from sync import attachments as attachment_store
from sync import errors
from sync.schema import _local, schema_for

log = logging.getLogger(__name__)
_RETRIES = 3
# The hot path needs a version's identity, not its XForm or XLSForm bytes (loaded on a miss).
_VERSION_COLUMNS = load_only(FormVersion.id, FormVersion.form_id, FormVersion.version,
                             FormVersion.sha256, FormVersion.published_at)


@dataclass
class IngestResult:
    """What happened to one POST: a new submission, a retry, an edit, or files added."""

    submission_id: int
    def_id: int
    instance_id: str
    created: bool
    attachments_added: list[str]
    status: str  # "created" | "duplicate" | "edited" | "attachments_added"
    outbox_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Envelope:
    """The parts of an instance document that route and identify it."""

    form_id: str
    version: str
    instance_id: str
    deprecated_id: str | None
    instance_name: str | None
    root: Element


def read_envelope(xml: bytes) -> Envelope:
    """Parse an instance safely (no DTD, no entities) and read its id, version and meta."""
    try:
        root = fromstring(xml, forbid_dtd=True)
    except (ParseError, DefusedXmlException, ValueError) as error:
        raise errors.Unparseable(len(xml), str(error)) from None
    form_id = (root.get("id") or "").strip()
    if not form_id:
        raise errors.MissingFormId()
    meta: dict[str, str] = {}
    for child in root:
        if _local(child.tag) == "meta":
            meta = {_local(m.tag): (m.text or "").strip() for m in child}
            break
    # Central's order: meta/instanceID, then an instanceID attribute, then a fresh uuid.
    instance_id = meta.get("instanceID") or root.get("instanceID") or f"uuid:{uuid.uuid4()}"
    if len(instance_id) > 255 or len(meta.get("deprecatedID") or "") > 255:
        raise errors.Unparseable(len(xml), "instanceID and deprecatedID are at most 255 long.")
    return Envelope(form_id=form_id, version=root.get("version") or "", instance_id=instance_id,
                    deprecated_id=meta.get("deprecatedID") or None,
                    instance_name=meta.get("instanceName") or None, root=root)


def ingest(*, project_id: int, xml: bytes, attachments: Mapping[str, bytes | IO[bytes]],
           channel: str, submitter_id: int | None, device_id: str | None,
           user_agent: str | None = None, form_id: str | None = None,
           authorize: Callable[[Form], None] | None = None,
           require_deprecated: bool = False) -> IngestResult:
    """Store one instance (new, retry with more files, or edit) and commit; raise IngestError.

    `form_id` is the xmlFormId the URL names (REST), checked against the XML; `authorize` is
    called with the form before anything is written and raises to refuse.
    """
    envelope = read_envelope(xml)
    if form_id is not None and envelope.form_id != form_id:
        raise errors.FormIdMismatch(envelope.form_id)
    if require_deprecated and not envelope.deprecated_id:
        raise errors.MissingDeprecatedId()
    try:
        text = xml.decode("utf-8")
    except UnicodeDecodeError:
        raise errors.Unparseable(len(xml), "not UTF-8") from None
    files = {name: data if isinstance(data, bytes) else data.read()
             for name, data in attachments.items()}
    context = _Context(project_id, envelope, text, hashlib.sha256(xml).hexdigest(), files,
                       channel, submitter_id, (device_id or "")[:255] or None,
                       (user_agent or "")[:500] or None)
    for attempt in range(_RETRIES):
        try:
            result = _ingest_once(context, authorize, optimistic=attempt == 0)
            db.session.commit()
        except IntegrityError:
            # A concurrent request stored the same (form, instanceID) first: run again, and
            # the second pass takes the duplicate path.
            db.session.rollback()
            if attempt == _RETRIES - 1:
                raise
            continue
        except BaseException:
            db.session.rollback()
            raise
        _dispatch(result.outbox_ids)
        return result
    raise AssertionError("unreachable")


@dataclass
class _Context:
    project_id: int
    envelope: Envelope
    xml: str
    sha256: str
    files: dict[str, bytes]
    channel: str
    submitter_id: int | None
    device_id: str | None
    user_agent: str | None


def _ingest_once(ctx: _Context, authorize: Callable[[Form], None] | None,
                 optimistic: bool) -> IngestResult:
    env = ctx.envelope
    found = db.session.execute(
        select(Form, FormVersion).outerjoin(FormVersion,
                                            FormVersion.id == Form.current_version_id)
        .options(_VERSION_COLUMNS)
        .where(Form.project_id == ctx.project_id, Form.xml_form_id == env.form_id,
               Form.deleted_at.is_(None))).first()
    if found is None or found[1] is None:
        raise errors.FormNotFound()
    form, current = found
    if authorize is not None:
        authorize(form)
    if form.state == "closed":
        raise errors.NotAcceptingSubmissions()
    version = current if current.version == env.version else _published_version(form, env.version)
    if env.deprecated_id is None and optimistic:
        # Most POSTs are new instances: insert straight away; a duplicate fails on the unique
        # constraint and the retry takes the lookup path below.
        return _create(ctx, form, version)
    extant = _def(form.id, env.instance_id)
    if env.deprecated_id is None:
        if extant is None:
            return _create(ctx, form, version)
        if not extant.current:
            raise errors.InstanceIdConflict()
        return _add_files(ctx, extant)
    deprecated = _def(form.id, env.deprecated_id)
    if deprecated is None:
        raise errors.DeprecatedIdNotFound(env.deprecated_id)
    if extant is None:
        if deprecated.current:
            return _edit(ctx, form, version, deprecated)
        raise errors.DeprecatingOldSubmission(env.deprecated_id)
    if extant.deprecated_id != env.deprecated_id:
        raise errors.InstanceIdConflict()
    if not extant.current:
        raise errors.DeprecatingOldSubmission(env.deprecated_id)
    # The edit already arrived: a retry, perhaps carrying more files.
    return _add_files(ctx, extant)


def _published_version(form: Form, version: str) -> FormVersion:
    older = db.session.scalar(select(FormVersion).options(_VERSION_COLUMNS).where(
        FormVersion.form_id == form.id, FormVersion.version == version,
        FormVersion.published_at.is_not(None)))
    if older is None:
        raise errors.FormVersionNotFound(version)
    return older


def _def(form_id: int, instance_id: str) -> SubmissionDef | None:
    return db.session.scalar(select(SubmissionDef).where(
        SubmissionDef.form_id == form_id, SubmissionDef.instance_id == instance_id))


def _new_def(ctx: _Context, form: Form, version: FormVersion, submission_id: int,
             deprecated_id: str | None) -> tuple[int, list[str]]:
    schema = schema_for(version.sha256, lambda: version.xml)
    env = ctx.envelope
    def_id = db.session.execute(insert(SubmissionDef).values(
        submission_id=submission_id, form_id=form.id, form_version_id=version.id,
        instance_id=env.instance_id, deprecated_id=deprecated_id,
        instance_name=(env.instance_name or "")[:255] or None, xml=ctx.xml,
        xml_sha256=ctx.sha256, data=schema.flatten(env.root), submitter_id=ctx.submitter_id,
        device_id=ctx.device_id, user_agent=ctx.user_agent, current=True, created_at=utcnow(),
    ).returning(SubmissionDef.id)).scalar_one()
    return def_id, schema.attachment_names(env.root)


def _create(ctx: _Context, form: Form, version: FormVersion) -> IngestResult:
    submission_id = db.session.execute(insert(Submission).values(
        form_id=form.id, instance_id=ctx.envelope.instance_id, submitter_id=ctx.submitter_id,
        device_id=ctx.device_id, channel=ctx.channel, created_at=utcnow(),
    ).returning(Submission.id)).scalar_one()
    def_id, names = _new_def(ctx, form, version, submission_id, None)
    added = _attach(def_id, names, ctx.files, {})
    outbox = _outbox(def_id, "submission.created")
    return IngestResult(submission_id, def_id, ctx.envelope.instance_id, True, added,
                        "created", [outbox])


def _edit(ctx: _Context, form: Form, version: FormVersion,
          deprecated: SubmissionDef) -> IngestResult:
    # Only one edit may supersede a version: the guarded UPDATE serialises concurrent edits.
    superseded = db.session.execute(update(SubmissionDef).where(
        SubmissionDef.id == deprecated.id, SubmissionDef.current.is_(True)
    ).values(current=False).execution_options(synchronize_session=False)).rowcount
    if superseded != 1:
        raise errors.DeprecatingOldSubmission(deprecated.instance_id)
    carried = {name: blob_id for name, blob_id in db.session.execute(
        select(SubmissionAttachment.name, SubmissionAttachment.blob_id).where(
            SubmissionAttachment.submission_def_id == deprecated.id))}
    def_id, names = _new_def(ctx, form, version, deprecated.submission_id,
                             ctx.envelope.deprecated_id)
    added = _attach(def_id, names, ctx.files, carried)
    db.session.execute(update(Submission).where(Submission.id == deprecated.submission_id)
                       .values(review_state="edited", updated_at=utcnow()))
    outbox = _outbox(def_id, "submission.updated")
    return IngestResult(deprecated.submission_id, def_id, ctx.envelope.instance_id, False,
                        added, "edited", [outbox])


def _add_files(ctx: _Context, extant: SubmissionDef) -> IngestResult:
    """A repeat of stored XML: byte-identical or refused; fill any files still missing."""
    if extant.xml_sha256 != ctx.sha256:
        raise errors.XmlConflict()
    added: list[str] = []
    if ctx.files:
        for slot in db.session.scalars(select(SubmissionAttachment).where(
                SubmissionAttachment.submission_def_id == extant.id,
                SubmissionAttachment.blob_id.is_(None))):
            if slot.name in ctx.files:
                slot.blob_id = attachment_store.store(slot.name, ctx.files[slot.name])
                added.append(slot.name)
        db.session.flush()
    return IngestResult(extant.submission_id, extant.id, extant.instance_id, False, added,
                        "attachments_added" if added else "duplicate")


def _attach(def_id: int, names: list[str], files: Mapping[str, bytes],
            carried: Mapping[str, int | None]) -> list[str]:
    """One row per file the XML names: from this POST, else carried from the last version."""
    added = []
    rows = []
    for name in names:
        blob_id = carried.get(name)
        if name in files:
            blob_id = attachment_store.store(name, files[name])
            added.append(name)
        rows.append({"submission_def_id": def_id, "name": name, "blob_id": blob_id,
                     "created_at": utcnow()})
    if rows:
        db.session.execute(SubmissionAttachment.__table__.insert(), rows)
    return added


def _outbox(def_id: int, event: str) -> int:
    return db.session.execute(insert(PipelineOutbox).values(
        submission_def_id=def_id, event=event, created_at=utcnow(), attempts=0,
    ).returning(PipelineOutbox.id)).scalar_one()


def _dispatch(outbox_ids: list[int]) -> None:
    """Tell the pipeline about committed work; the outbox keeps it if this fails."""
    if not outbox_ids:
        return
    try:
        dispatch: Any = importlib.import_module("app.pipeline.dispatch")
    except ModuleNotFoundError as error:
        if error.name not in ("app.pipeline", "app.pipeline.dispatch"):
            raise
        return
    try:
        dispatch.after_commit(outbox_ids)
    except Exception:
        log.exception("pipeline dispatch failed; outbox rows %s stay pending", outbox_ids)

"""The one door into the shared database: every channel stores a submission through `ingest`.

`ingest` owns its transaction: it commits on success and rolls back on any error, so a caller
must not leave other pending work in the session. After the commit it tells its listeners
(`on_committed`: the pipeline, which takes the new outbox rows).

The hot path (a new instance) is two statements and a COMMIT: one indexed lookup of the form,
its version for this instance and (for app users) the assignment; then one write of the
submission, its version, blobs, attachment slots and the outbox row, built once as dependent
Core INSERTs (app.sql.Write): one statement on PostgreSQL (data-modifying CTEs), one per step
on SQLite. An edit is the same write of a new version. Attachment files are written and
fsynced before the statement that points at them. A repeat of a known
instanceID writes nothing (ON CONFLICT on the unique (form, instanceID)) and takes the lookup
path; nothing is checked before it is inserted.
"""
from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import IO, Any
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring
from sqlalchemy import (
    Integer,
    String,
    and_,
    bindparam,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.exc import IntegrityError

from app import sql
from app.extensions import db
from app.models import (
    Blob,
    Form,
    FormAssignment,
    FormVersion,
    Project,
    Submission,
    SubmissionAttachment,
    SubmissionDef,
)
from app.models.base import utcnow
from app.models.forms import FormState
from app.queries import outbox
from app.queries.outbox import Event
from forms.model import check_depth
from forms.review import ReviewState
from sync import attachments as attachment_store
from sync import errors
from sync.schema import VersionSchema, _local, schema_for

log = logging.getLogger(__name__)
_RETRIES = 3


class IngestStatus(StrEnum):
    """What one POST did: a new submission, a retry of a stored one, an edit, or files added
    to a stored one."""

    CREATED = "created"
    DUPLICATE = "duplicate"
    EDITED = "edited"
    ATTACHMENTS_ADDED = "attachments_added"


@dataclass
class IngestResult:
    """What happened to one POST: a new submission, a retry, an edit, or files added."""

    submission_id: int
    def_id: int
    instance_id: str
    created: bool
    attachments_added: list[str]
    status: IngestStatus
    outbox_ids: list[int] = field(default_factory=list)
    outbox_event: str = ""  # the event of the outbox rows, when there are any


@dataclass(frozen=True)
class Envelope:
    """The parts of an instance document that route and identify it."""

    form_id: str
    version: str
    instance_id: str
    deprecated_id: str | None
    instance_name: str | None
    root: Element


@dataclass(frozen=True)
class FormRef:
    """The form a submission is for, as `authorize` sees it (no ORM object is loaded).

    `assigned` answers "is `assignee_id` assigned this form?" when ingest was given one."""

    id: int
    project_id: int
    xml_form_id: str
    state: str
    assigned: bool | None = None


@dataclass(frozen=True)
class _Version:
    id: int
    sha256: str


def read_envelope(xml: bytes) -> Envelope:
    """Parse an instance safely (no DTD, no entities) and read its id, version and meta."""
    try:
        root = fromstring(xml, forbid_dtd=True)
        check_depth(root)  # what comes after ingest walks instances by recursion
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
           authorize: Callable[[FormRef], None] | None = None,
           require_deprecated: bool = False, assignee_id: int | None = None,
           received_at: datetime | None = None) -> IngestResult:
    """Store one instance (new, retry with more files, or edit) and commit; raise IngestError.

    `form_id` is the xmlFormId the URL names (REST), checked against the XML; `authorize` is
    called with the form before anything is written and raises to refuse. With `assignee_id`
    the form lookup also tells `authorize` whether that actor is assigned the form.
    `received_at` is when the version was first received, for a version that arrives from
    another server (field-office sync, an import); None means now.
    """
    envelope = read_envelope(xml)
    if form_id is not None and envelope.form_id != form_id:
        raise errors.FormIdMismatch(envelope.form_id)
    if require_deprecated and not envelope.deprecated_id:
        raise errors.MissingDeprecatedId()
    try:
        text_xml = xml.decode("utf-8")
    except UnicodeDecodeError:
        raise errors.Unparseable(len(xml), "not UTF-8") from None
    files = {name: data if isinstance(data, bytes) else data.read()
             for name, data in attachments.items()}
    context = _Context(project_id, envelope, text_xml, hashlib.sha256(xml).hexdigest(),
                       files, channel, submitter_id,
                       (device_id or "")[:255] or None, (user_agent or "")[:500] or None,
                       received_at)
    for attempt in range(_RETRIES):
        try:
            result = _ingest_once(context, authorize, assignee_id, optimistic=attempt == 0)
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
        _dispatch(result)
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
    received_at: datetime | None = None
    hashed: dict[str, attachment_store.Incoming] = field(default_factory=dict)
    names: list[str] = field(default_factory=list)
    items: list[attachment_store.Incoming] = field(default_factory=list)

    def write(self, names: list[str]) -> list[attachment_store.Incoming]:
        """The files among `names` this POST carries, hashed and written durably once each
        (only once the form is known and the caller authorised)."""
        fresh = attachment_store.prepare({name: self.files[name] for name in names
                                          if name in self.files and name not in self.hashed})
        attachment_store.write(fresh.values())
        self.hashed.update(fresh)
        return [self.hashed[name] for name in names if name in self.hashed]


def _lookup_statement(with_assignment: bool) -> Any:
    forms, projects, versions = Form.__table__, Project.__table__, FormVersion.__table__
    columns = [forms.c.id, forms.c.state, forms.c.current_version_id, versions.c.id,
               versions.c.sha256]
    if with_assignment:
        columns.append(exists().where(FormAssignment.actor_id == bindparam("assignee_id"),
                                      FormAssignment.form_id == forms.c.id))
    return (select(*columns).select_from(
        forms.join(projects, and_(projects.c.id == forms.c.project_id,
                                  projects.c.deleted_at.is_(None)))
        .outerjoin(versions, and_(
            versions.c.form_id == forms.c.id, versions.c.version == bindparam("version"),
            or_(versions.c.published_at.is_not(None),
                versions.c.id == forms.c.current_version_id))))
        .where(forms.c.project_id == bindparam("project_id"),
               forms.c.xml_form_id == bindparam("xml_form_id"), forms.c.deleted_at.is_(None))
        .limit(1))


# Built once: SQLAlchemy caches the SQL, but building the construct per call costs CPU.
_LOOKUP = {False: _lookup_statement(False), True: _lookup_statement(True)}


def _lookup(ctx: _Context, assignee_id: int | None) -> tuple[FormRef, _Version | None]:
    """The form, the version this instance names (current or an older published one) and
    the assignment, in one indexed query; 404 for no form (or project, or published version).
    """
    env = ctx.envelope
    params: dict[str, Any] = {"project_id": ctx.project_id, "xml_form_id": env.form_id,
                              "version": env.version}
    if assignee_id is not None:
        params["assignee_id"] = assignee_id
    row = db.session.execute(_LOOKUP[assignee_id is not None], params).first()
    if row is None or row[2] is None:
        raise errors.FormNotFound()
    form = FormRef(id=row[0], project_id=ctx.project_id, xml_form_id=env.form_id, state=row[1],
                   assigned=bool(row[5]) if assignee_id is not None else None)
    return form, (_Version(row[3], row[4]) if row[3] is not None else None)


def _ingest_once(ctx: _Context, authorize: Callable[[FormRef], None] | None,
                 assignee_id: int | None, optimistic: bool) -> IngestResult:
    env = ctx.envelope
    form, found = _lookup(ctx, assignee_id)
    if authorize is not None:
        authorize(form)
    if form.state == FormState.CLOSED:
        raise errors.NotAcceptingSubmissions()
    if found is None:
        raise errors.FormVersionNotFound(env.version)
    version = found
    if env.deprecated_id is None and optimistic:
        # Most POSTs are new instances: insert straight away; a duplicate conflicts on the
        # unique (form, instanceID) and takes the lookup path below.
        created = _create(ctx, form, version)
        if created is not None:
            return created
    extant = _def(form.id, env.instance_id)
    if env.deprecated_id is None:
        if extant is None:
            created = _create(ctx, form, version)
            if created is None:  # only if the conflicting row vanished meanwhile
                raise IntegrityError("submissions", None, Exception("conflict"))
            return created
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


def _schema(version: _Version) -> VersionSchema:
    return schema_for(version.sha256, lambda: db.session.scalar(
        select(FormVersion.xml).where(FormVersion.id == version.id)))


_DEF_COLUMNS = (SubmissionDef.id, SubmissionDef.submission_id, SubmissionDef.instance_id,
                SubmissionDef.deprecated_id, SubmissionDef.current, SubmissionDef.xml_sha256)


def _def(form_id: int, instance_id: str) -> Any:
    return db.session.execute(select(*_DEF_COLUMNS).where(
        SubmissionDef.form_id == form_id, SubmissionDef.instance_id == instance_id)).first()


S, D = Submission.__table__, SubmissionDef.__table__
B, A = Blob.__table__, SubmissionAttachment.__table__


_NEW = ("form_id", "instance_id", "submitter_id", "device_id", "channel", "created_at")


def _create(ctx: _Context, form: FormRef, version: _Version) -> IngestResult | None:
    """A new submission; None (nothing written) when its instanceID is already a
    submission's: ON CONFLICT DO NOTHING on the submission, and every later step of the
    write selects FROM it."""
    env = ctx.envelope
    now = utcnow()
    write = sql.Write(key=("create", *_shape(ctx, version))).add(
        "s", lambda _refs: sql.insert_or_skip(S, ["form_id", "instance_id"]).values(
            {name: bindparam(f"s_{name}", type_=S.c[name].type) for name in _NEW}
        ).returning(S.c.id), [("id", Integer())])
    params = {"s_form_id": form.id, "s_instance_id": env.instance_id,
              "s_submitter_id": ctx.submitter_id, "s_device_id": ctx.device_id,
              "s_channel": ctx.channel, "s_created_at": ctx.received_at or now}
    written = _write_version(ctx, form, version, write, params, lambda refs: refs["s"].c.id,
                             deprecated_id=None, carried={}, event=Event.CREATED, now=now)
    if written is None:
        return None
    result, (submission_id,) = written
    result.submission_id = submission_id
    return result


def _edit(ctx: _Context, form: FormRef, version: _Version, deprecated: Any) -> IngestResult:
    # Only one edit may supersede a version: the guarded UPDATE serialises concurrent edits.
    superseded = db.session.execute(update(SubmissionDef).where(
        SubmissionDef.id == deprecated.id, SubmissionDef.current.is_(True)
    ).values(current=False).execution_options(synchronize_session=False)).rowcount
    if superseded != 1:
        raise errors.DeprecatingOldSubmission(deprecated.instance_id)
    carried = dict(db.session.execute(
        select(SubmissionAttachment.name, SubmissionAttachment.blob_id).where(
            SubmissionAttachment.submission_def_id == deprecated.id)).all())
    now = utcnow()
    written = _write_version(ctx, form, version, sql.Write(key=("edit", *_shape(ctx, version))),
                             {"d_submission_id": deprecated.submission_id},
                             lambda _refs: bindparam("d_submission_id", type_=Integer()),
                             deprecated_id=ctx.envelope.deprecated_id, carried=carried,
                             event=Event.UPDATED, now=now)
    assert written is not None  # an edit's first step (its version) always writes
    db.session.execute(update(Submission).where(Submission.id == deprecated.submission_id)
                       .values(review_state=ReviewState.EDITED, updated_at=ctx.received_at or now))
    result = written[0]
    result.submission_id, result.created, result.status = \
        deprecated.submission_id, False, IngestStatus.EDITED
    return result


def _shape(ctx: _Context, version: _Version) -> tuple[int, int]:
    """The files of this version (ctx.names: those the XML names; ctx.items: those of them
    this POST carries, their writes begun) and so what its write's statement depends on
    besides its kind: how many names, how many distinct files."""
    ctx.names = _schema(version).attachment_names(ctx.envelope.root)
    ctx.items = ctx.write(ctx.names)
    return len(ctx.names), len({item.sha256 for item in ctx.items})


_DEF_VALUES = ("form_id", "form_version_id", "instance_id", "deprecated_id", "instance_name",
               "xml", "xml_sha256", "data", "submitter_id", "device_id", "user_agent",
               "created_at")
_SLOT_COLUMNS = [("name", String()), ("sha256", String()), ("carried", Integer())]


def _write_version(ctx: _Context, form: FormRef, version: _Version, write: sql.Write,
                   params: dict[str, Any], submission_id: Callable[[dict[str, Any]], Any], *,
                   deprecated_id: str | None, carried: Mapping[str, int | None], event: str,
                   now: Any) -> tuple[IngestResult, tuple] | None:
    """A new version of a submission, written once for new submissions and edits alike: its
    def row, the blobs of the files this POST carries, one attachment slot per file the XML
    names (from this POST, else carried from the version it edits) and its outbox row. One
    statement on PostgreSQL (sql.Write, built once per shape: values are bound parameters);
    None when the write's first step wrote nothing."""
    env = ctx.envelope
    schema = _schema(version)
    names, items = ctx.names, ctx.items
    arrived = {item.name: item for item in items}
    first = write.first
    params.update({"d_form_id": form.id, "d_form_version_id": version.id,
                   "d_instance_id": env.instance_id, "d_deprecated_id": deprecated_id,
                   "d_instance_name": (env.instance_name or "")[:255] or None,
                   "d_xml": ctx.xml, "d_xml_sha256": ctx.sha256,
                   "d_data": schema.flatten(env.root), "d_submitter_id": ctx.submitter_id,
                   "d_device_id": ctx.device_id, "d_user_agent": ctx.user_agent,
                   "d_created_at": ctx.received_at or now})

    def def_row(refs: dict[str, Any]) -> Any:
        values = {"submission_id": submission_id(refs),
                  **{name: bindparam(f"d_{name}", type_=D.c[name].type)
                     for name in _DEF_VALUES}, "current": literal(True)}
        query = select(*values.values())
        if first in refs:
            query = query.select_from(refs[first])
        return insert(D).from_select(list(values), query).returning(D.c.id)

    write.add("d", def_row, [("id", Integer())])
    blobs = list({item.sha256: item for item in items}.values())
    if blobs:
        params.update(attachment_store.blob_params(blobs, now))
        write.add("b", lambda refs: attachment_store.blob_rows(
            len(blobs), gate=refs[first] if first in refs else None),
                  [("id", Integer()), ("sha256", String())], report=False)
    if names:
        params["a_now"] = now
        params.update(sql.row_params("a", [name for name, _t in _SLOT_COLUMNS], [
            (n, arrived[n].sha256 if n in arrived else None, carried.get(n)) for n in names]))
        write.add("a", lambda refs: _slot_rows(len(names), refs),
                  [("id", Integer())], report=False)
    params.update(outbox.step_params(event, now))
    write.add("o", lambda refs: outbox.insert_step(refs["d"].c.id), [("id", Integer())])
    rows = write.run(params)
    if rows is None:
        return None
    return (IngestResult(0, rows["d"][0], env.instance_id, True, list(arrived),
                         IngestStatus.CREATED, [rows["o"][0]], str(event)), rows.get("s", ()))


def _slot_rows(count: int, refs: dict[str, Any]) -> Any:
    """One slot per file the XML names: this POST's blob, else the one carried from the
    version edited, else none yet (NULL until the file arrives)."""
    rows = sql.param_rows("a", _SLOT_COLUMNS, count)
    source = refs["d"].join(rows, true())
    blob_id: Any = rows.c.carried
    if "b" in refs:
        source = source.outerjoin(refs["b"], refs["b"].c.sha256 == rows.c.sha256)
        blob_id = func.coalesce(refs["b"].c.id, rows.c.carried)
    return insert(A).from_select(
        ["submission_def_id", "name", "blob_id", "created_at"],
        select(refs["d"].c.id, rows.c.name, blob_id,
               bindparam("a_now", type_=A.c.created_at.type))
        .select_from(source).where(true())
    ).returning(A.c.id)


def _add_files(ctx: _Context, extant: Any) -> IngestResult:
    """A repeat of stored XML: byte-identical or refused; fill any files still missing."""
    if extant.xml_sha256 != ctx.sha256:
        raise errors.XmlConflict()
    added: list[str] = []
    if ctx.files:
        missing = list(db.session.scalars(select(SubmissionAttachment.name).where(
            SubmissionAttachment.submission_def_id == extant.id,
            SubmissionAttachment.blob_id.is_(None)).order_by(SubmissionAttachment.id)))
        items = ctx.write([name for name in missing if name in ctx.files])
        if items:
            ids = attachment_store.blob_ids(items)
            table = SubmissionAttachment.__table__
            db.session.execute(
                update(table).where(table.c.submission_def_id == extant.id,
                                    table.c.name == bindparam("slot"))
                .values(blob_id=bindparam("blob")),
                [{"slot": item.name, "blob": ids[item.sha256]} for item in items])
            added = [item.name for item in items]
    return IngestResult(extant.submission_id, extant.id, extant.instance_id, False, added,
                        IngestStatus.ATTACHMENTS_ADDED if added else IngestStatus.DUPLICATE)


# Told of every committed result, in registration order (the pipeline registers itself in
# create_app); a listener's failure is logged, never raised: the outbox keeps the work.
_listeners: list[Callable[[IngestResult], None]] = []


def on_committed(listener: Callable[[IngestResult], None]) -> None:
    """Call `listener(result)` after every ingest that committed."""
    if listener not in _listeners:
        _listeners.append(listener)


def _dispatch(result: IngestResult) -> None:
    for listener in list(_listeners):
        try:
            listener(result)
        except Exception:
            log.exception("ingest listener %r failed for %s; its outbox rows stay pending",
                          listener, result.outbox_ids)

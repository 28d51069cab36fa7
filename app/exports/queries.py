"""Server-side cursor reads of a form's current submissions, in chunks, with their extras."""
from __future__ import annotations

import contextlib
import itertools
import json
import queue
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    String,
    Text,
    and_,
    case,
    cast,
    func,
    inspect,
    literal_column,
    or_,
    select,
    true,
)

from app.extensions import db
from app.models import Actor, FormVersion, Submission, SubmissionAttachment, SubmissionDef

try:
    from orjson import loads as _loads
except ImportError:  # pragma: no cover - orjson is in requirements.txt
    _loads = json.loads

CHUNK = 100
"""Rows per yielded chunk: small, so that a chunk's decoded dicts die young (a chunk of
thousands outlived the collector's young generations and full collections, walking every
object of the process, took a third of the export's CPU)."""
FETCH = 2000
"""Rows per round trip to the database (after the first few, see FIRST_FETCH)."""
FIRST_FETCH = 100


@dataclass(frozen=True)
class Filters:
    """Our additions to Central's `$filter`: date range, channel, review state, SDG, version."""

    since: datetime | None = None
    until: datetime | None = None
    channel: str | None = None
    review_state: str | None = None
    sdg: str | None = None  # a goal ("5") or a target/indicator ("5.2", "5.2.1")
    form_version: str | None = None
    submitter_id: int | None = None  # the actor (app user, web user or channel) who sent it


@dataclass(slots=True)
class Row:
    """One current submission with what every export format needs."""

    submission_id: int
    def_id: int
    instance_id: str
    created_at: datetime
    updated_at: datetime | None
    submitter_id: int | None
    submitter_name: str | None
    device_id: str | None
    channel: str
    review_state: str | None
    instance_name: str | None
    data: dict[str, Any]
    edits: int
    form_version: str
    attachments_present: int = 0
    attachments_expected: int = 0
    sdg_tags: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)


_PRESENT: set[tuple[str, str]] = set()


def has_table(name: str) -> bool:
    """Whether the pipeline's tables exist yet (they arrive with another engineer's migration);
    a table once seen is remembered, as tables are not dropped under a running server."""
    key = (str(db.engine.url), name)
    if key not in _PRESENT and inspect(db.engine).has_table(name):
        _PRESENT.add(key)
    return key in _PRESENT


def _edits() -> ColumnElement[int]:
    # Only an edit sets updated_at on a fresh submission, so most rows skip the count.
    count = (select(func.count()).where(SubmissionDef.submission_id == Submission.id)
             .correlate(Submission).scalar_subquery())
    return case((Submission.updated_at.is_(None), 0), else_=count - 1)


def _root_version_id() -> ColumnElement[int]:
    first = (select(SubmissionDef.form_version_id).where(
        SubmissionDef.submission_id == Submission.id).order_by(SubmissionDef.id).limit(1)
        .correlate(Submission).scalar_subquery())
    return case((Submission.updated_at.is_(None), SubmissionDef.form_version_id), else_=first)


def _columns(text_data: bool = False) -> list:
    """base_query's columns; `text_data` reads the JSON as text (decoded by the caller)."""
    data = cast(SubmissionDef.data, Text) if text_data else SubmissionDef.data
    return [Submission.id, SubmissionDef.id, Submission.instance_id, Submission.created_at,
            Submission.updated_at, Submission.submitter_id, Actor.display_name,
            Submission.device_id, Submission.channel, Submission.review_state,
            SubmissionDef.instance_name, data, _edits(), _root_version_id()]


def base_query(form_id: int, filters: Filters, extra: ColumnElement[bool] | None = None):
    """The SELECT of current, non-deleted submissions of a form, newest first (Central's order)."""
    query = (select(*_columns())
             .join(SubmissionDef, and_(SubmissionDef.submission_id == Submission.id,
                                       SubmissionDef.current.is_(True)))
             .outerjoin(Actor, Actor.id == Submission.submitter_id)
             .where(Submission.form_id == form_id, Submission.deleted_at.is_(None),
                    *filter_clauses(form_id, filters)))
    if extra is not None:
        query = query.where(extra)
    return query


def filter_clauses(form_id: int, filters: Filters) -> list[ColumnElement[bool]]:
    """WHERE clauses for our query-string filters."""
    out: list[ColumnElement[bool]] = []
    if filters.since is not None:
        out.append(Submission.created_at >= filters.since)
    if filters.until is not None:
        out.append(Submission.created_at < filters.until)
    if filters.channel:
        out.append(Submission.channel == filters.channel)
    if filters.submitter_id is not None:
        out.append(Submission.submitter_id == filters.submitter_id)
    if filters.review_state:
        state = filters.review_state
        out.append(Submission.review_state.is_(None) if state == "null"
                   else Submission.review_state == state)
    if filters.form_version is not None:
        versions = select(FormVersion.id).where(FormVersion.form_id == form_id,
                                                FormVersion.version == filters.form_version)
        out.append(SubmissionDef.form_version_id.in_(versions))
    if filters.sdg:
        out.append(_sdg_clause(filters.sdg))
    return out


def _sdg_clause(code: str) -> ColumnElement[bool]:
    if not has_table("sdg_tags"):
        return true() if not code else SubmissionDef.id.is_(None)
    from app.models.pipeline import SdgTag

    if code.isdigit():
        match = SdgTag.goal == int(code)
    else:
        match = or_(SdgTag.target == code, SdgTag.indicator == code,
                    SdgTag.indicator.startswith(code + "."))
    return SubmissionDef.id.in_(select(SdgTag.submission_def_id).where(match))


def version_names(form_id: int) -> dict[int, str]:
    return dict(db.session.execute(select(FormVersion.id, FormVersion.version)
                                   .where(FormVersion.form_id == form_id)).all())


def _extra_columns(tags: bool, flags: bool, attachments: bool = True) -> list:
    """Correlated per-row lookups (index scans), so one cursor carries everything; without
    `attachments` the two counts are constant zeros."""
    if attachments:
        count = select(func.count()).where(
            SubmissionAttachment.submission_def_id == SubmissionDef.id)
        present = count.where(SubmissionAttachment.blob_id.is_not(None))
        columns = [present.correlate(SubmissionDef).scalar_subquery(),
                   count.correlate(SubmissionDef).scalar_subquery()]
    else:
        columns = [literal_column("0"), literal_column("0")]
    if tags:
        from app.models.pipeline import SdgTag

        code = case((SdgTag.indicator != "", SdgTag.indicator),
                    (SdgTag.target != "", SdgTag.target), else_=cast(SdgTag.goal, String))
        columns.append(select(func.aggregate_strings(code, ";")).where(
            SdgTag.submission_def_id == SubmissionDef.id).correlate(SubmissionDef)
            .scalar_subquery())
    if flags:
        from app.models.pipeline import CleanedRecord

        columns.append(select(CleanedRecord.flags).where(
            CleanedRecord.submission_def_id == SubmissionDef.id).correlate(SubmissionDef)
            .scalar_subquery())
    return columns


def stream(query, versions: dict[int, str], *, extras: bool = True,
           chunk: int = CHUNK) -> Iterator[list[Row]]:
    """Yield `query`'s rows (a `base_query`, ordered as wanted) in chunks, in its order, in
    constant memory.

    One server-side cursor carries everything: the order comes from the index on
    submissions(form_id, created_at, id), so PostgreSQL walks it without sorting wide rows,
    and the JSON data arrives as text, decoded here with orjson (far faster than psycopg's
    json.loads of JSONB, and the same on SQLite). PostgreSQL's JIT is switched off for the
    transaction: compiling these per-row expressions cost more than the whole read.
    """
    tags = extras and has_table("sdg_tags")
    flags = extras and has_table("cleaned_records")
    columns = _columns(text_data=True)
    if extras:
        columns += _extra_columns(tags, flags, attachments=_any_attachments(query))
    decode, get = _decode, versions.get
    for part in _split(fetch(query.with_only_columns(*columns), max(chunk, FETCH)), chunk):
        rows = [Row(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10],
                    decode(r[11]), r[12] or 0, get(r[13], "")) for r in part]
        if extras:
            for row, r in zip(rows, part, strict=True):
                row.attachments_present, row.attachments_expected = r[14] or 0, r[15] or 0
                if tags and r[16]:
                    row.sdg_tags = sorted(set(r[16].split(";")), key=_code_key)
                if flags and r[-1]:
                    row.flags = _flags(r[-1])
        yield rows


def _split(parts: Iterator[list], size: int) -> Iterator[list]:
    for part in parts:
        if len(part) <= size:
            yield part
        else:
            for at in range(0, len(part), size):
                yield part[at:at + size]


_cursors = itertools.count()


def fetch(statement, chunk: int = CHUNK) -> Iterator[list[Sequence[Any]]]:
    """`statement`'s rows in lists of up to `chunk`, from a server-side cursor, in the
    session's transaction; on PostgreSQL as plain tuples straight from psycopg.

    SQLAlchemy's result rows cost three times the CPU of psycopg's own fetch for the same
    rows, so on PostgreSQL the compiled statement runs on a named (server-side) psycopg
    cursor of the session's connection. JIT is off for the transaction: compiling these
    per-row expressions took longer than reading 100,000 rows."""
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        result = connection.execute(statement.execution_options(stream_results=True,
                                                                yield_per=chunk))
        yield from result.partitions(chunk)
        return
    connection.exec_driver_sql("SET LOCAL jit = off")
    compiled = statement.compile(dialect=connection.dialect,
                                 compile_kwargs={"render_postcompile": True})
    params = compiled.construct_params()
    for key, process in (compiled._bind_processors or {}).items():
        if key in params:
            params[key] = process(params[key])
    cursor = connection.connection.driver_connection.cursor(
        name=f"dsc_export_{next(_cursors)}")
    try:
        cursor.execute(str(compiled), params)
        yield from _prefetched(cursor, chunk)
    finally:
        with contextlib.suppress(Exception):
            cursor.close()


def _prefetched(cursor, size: int, ahead: int = 2) -> Iterator[list]:
    """The cursor's rows, fetched by a helper thread up to `ahead` parts in advance, so that
    PostgreSQL produces the next rows while this thread formats the last (psycopg releases
    the GIL while it waits; its connection lock keeps any other use of the connection safe).
    At most `ahead` + 1 parts are held: memory stays constant. Fetches start at FIRST_FETCH
    rows and grow to `size`, so a reader that needs only the first rows (an OData page of a
    repeat table) does not make the database produce thousands it will not read."""
    parts: queue.Queue = queue.Queue(maxsize=ahead)
    stop = threading.Event()

    def put(item) -> None:
        while not stop.is_set():
            try:
                parts.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def work() -> None:
        step = min(size, FIRST_FETCH)
        try:
            while not stop.is_set():
                part = cursor.fetchmany(step)
                put(part)
                if not part:
                    return
                step = min(size, step * 4)
        except BaseException as error:  # handed to the reader, raised there
            put(error)

    worker = threading.Thread(target=work, name="export-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            part = parts.get()
            if isinstance(part, BaseException):
                raise part
            if not part:
                return
            yield part
    finally:
        stop.set()
        worker.join()


def _flags(value) -> list[str]:
    if isinstance(value, str):  # JSON as text (SQLite without the JSON type's processor)
        value = _decode(value)
    return sorted({f"{f.get('field', '')}:{f.get('code', '')}" for f in value or ()
                   if isinstance(f, dict)})


def _decode(value: str | None) -> dict:
    """The stored JSON text as a dict ({} for NULL/null); orjson, json for what it refuses
    (NaN, which SQLite's JSON text may hold)."""
    if value is None:
        return {}
    if not isinstance(value, str | bytes):  # already decoded by a driver
        return value or {}
    try:
        out = _loads(value)
    except ValueError:
        out = json.loads(value)
    return out or {}


def _any_attachments(query) -> bool:
    """Whether any submission the query covers names a file. Most forms have none, and then
    the two per-row attachment counts are skipped (they are 0). One cheap probe."""
    found = query.with_only_columns(SubmissionDef.id)
    probe = select(SubmissionAttachment.id).where(
        SubmissionAttachment.submission_def_id.in_(found.scalar_subquery())).limit(1)
    return db.session.execute(probe).first() is not None


def _code_key(code: str) -> tuple:
    return tuple(int(p) if p.isdigit() else 10**6 for p in code.split("."))


def attachments(form_id: int, filters: Filters):
    """(name, sha256) of every arrived file of the current versions the filters select."""
    from app.models import Blob

    defs = base_query(form_id, filters).with_only_columns(SubmissionDef.id).subquery()
    query = (select(SubmissionAttachment.name, Blob.sha256)
             .join(Blob, Blob.id == SubmissionAttachment.blob_id)
             .where(SubmissionAttachment.submission_def_id.in_(select(defs.c.id)))
             .order_by(SubmissionAttachment.id))
    return db.session.execute(query.execution_options(stream_results=True, yield_per=CHUNK))


ORDER = (Submission.created_at.desc(), Submission.id.desc())

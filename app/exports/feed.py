"""One page of an OData table as streamed JSON: rows, `@odata.count`, `@odata.nextLink`."""
from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlencode

from sqlalchemy import func, literal, select, tuple_

from app import problems
from app.exports import queries
from app.exports.odata import Shaper
from app.extensions import db
from app.jsontext import dumps
from app.models import Submission, SubmissionDef
from forms.model import Field


@dataclass
class Page:
    """What the request asked for: the table, the window, and what to write around the rows."""

    table: str
    repeat: Field | None
    base: str
    args: dict[str, str]
    top: int | None = None
    skip: int = 0
    count: bool = False
    select: list[str] = field(default_factory=list)


def skiptoken(instance_id: str) -> str:
    """Central's `$skiptoken`: "01" and base64 JSON naming the last row sent."""
    return "01" + base64.b64encode(json.dumps({"instanceId": instance_id}).encode()).decode()


def after_token(query, form_id: int, token: str):
    """`query` limited to the rows after the one a `$skiptoken` names (newest-first order)."""
    try:
        instance_id = json.loads(base64.b64decode(token[2:]))["instanceId"]
    except Exception:
        raise problems.invalid_skiptoken() from None
    anchor = db.session.execute(select(Submission.created_at, Submission.id).where(
        Submission.form_id == form_id, Submission.instance_id == instance_id)).first()
    if anchor is None:
        raise problems.invalid_skiptoken()
    return query.where(tuple_(Submission.created_at, Submission.id) < tuple(anchor))


def _pick(page: Page, obj: dict) -> dict:
    if not page.select:
        return obj
    keep = {n.split("/")[0] for n in page.select} | {"__id"}
    return {k: v for k, v in obj.items() if k in keep or k.startswith("__Submissions")}


def _objects(page: Page, shaper: Shaper, query, versions: dict[int, str]):
    if page.repeat is None:
        limited = query.offset(page.skip) if page.skip else query
        if page.top is not None:
            limited = limited.limit(page.top + 1)  # one more tells us a next page exists
            if page.skip:
                # Skip over narrow rows (ids), then read only the page's wide rows: OFFSET
                # on the wide query made the database build every skipped row's JSON text.
                window = limited.with_only_columns(Submission.id)
                limited = query.where(Submission.id.in_(window.scalar_subquery()))
        for chunk in queries.stream(limited, versions):
            for row in chunk:
                yield row.instance_id, shaper.submission(row)
        return
    seen = 0
    for chunk in queries.stream(query, versions, extras=False):
        for row in chunk:
            for obj in shaper.repeat_rows(page.repeat, row):
                seen += 1
                if seen > page.skip:
                    yield obj["__id"], obj


def _total(page: Page, count_query, versions: dict[int, str]) -> int:
    """`$count`: one COUNT for Submissions; for a repeat table, the length of each row's
    array (read as text, not shaped)."""
    if page.repeat is None:
        return int(db.session.scalar(count_query.with_only_columns(func.count())
                                     .order_by(None)) or 0)
    path = page.repeat.path
    if db.engine.dialect.name == "postgresql":
        length = func.jsonb_array_length(
            SubmissionDef.data.op("->")("repeats").op("->")(literal(path)))
    else:
        length = func.json_array_length(SubmissionDef.data,
                                        literal('$.repeats."' + path.replace('"', "") + '"'))
    return int(db.session.scalar(count_query.with_only_columns(
        func.coalesce(func.sum(length), 0)).order_by(None)) or 0)


BATCH = 200
"""Rows per piece handed to the server: one write per row cost more than shaping it."""


def body(page: Page, shaper: Shaper, query, count_query,
         versions: dict[int, str]) -> Iterator[str]:
    """The JSON text of the page, in pieces of BATCH rows."""
    yield ('{"@odata.context":' + json.dumps(f"{page.base}/$metadata#{page.table}")
           + ',"value":[')
    written, last, more = 0, None, False
    pending: list[str] = []
    for ident, obj in _objects(page, shaper, query, versions):
        if page.top is not None and written >= page.top:
            more = True
            break
        pending.append(dumps(_pick(page, obj)))
        written, last = written + 1, ident
        if len(pending) >= BATCH:
            yield ("," if written > len(pending) else "") + ",".join(pending)
            pending.clear()
    if pending:
        yield ("," if written > len(pending) else "") + ",".join(pending)
    yield "]"
    if page.count:
        yield ',"@odata.count":' + str(_total(page, count_query, versions))
    if more:
        args = {k: v for k, v in page.args.items() if k not in ("$skip", "$skiptoken")}
        if page.repeat is None:
            args["$skiptoken"] = skiptoken(last)
        else:
            args["$skip"] = str(page.skip + written)
        yield ',"@odata.nextLink":' + json.dumps(f"{page.base}/{page.table}?{urlencode(args)}")
    yield "}"

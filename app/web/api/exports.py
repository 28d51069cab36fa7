"""Exports of a form's submissions: Central's CSV zip and CSV, and the OData feed."""
from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime

from flask import Response, request, stream_with_context

from app import problems
from app.exports import csv_export, queries
from app.exports.csv_export import CsvOptions
from app.extensions import db
from app.models import Audit, Form, FormVersion
from app.services import forms as form_service
from app.web.api import api
from app.web.auth import require_form
from forms.model import FormModel
from sync.schema import schema_for

BASE = "/projects/<int:project_id>/forms/<xml_form_id>"
_HASHED = re.compile(r"[0-9a-f]{64}")


def export_form(project_id: int, xml_form_id: str) -> tuple[Form, FormVersion, FormModel]:
    """The published form the caller may read submissions of (viewers yes; app users and data
    collectors 403), with its current version's model."""
    form = form_service.get_form(project_id, xml_form_id)
    if form is None or form.current_version_id is None:
        raise problems.not_found()
    require_form("submission.read", project_id, form.id)
    version = db.session.get(FormVersion, form.current_version_id)
    return form, version, schema_for(version.sha256, lambda: version.xml).model


def _arg(name: str) -> str | None:
    value = request.values.get(name)
    return value.strip() if value and value.strip() else None


def _when(name: str) -> datetime | None:
    value = _arg(name)
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise problems.unexpected_value(name, value, "expected an ISO 8601 date or time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.now().astimezone().tzinfo)


def filters() -> queries.Filters:
    """Our filters, the same on every export and the feed (query string or form body)."""
    return queries.Filters(since=_when("since"), until=_when("until"), channel=_arg("channel"),
                           review_state=_arg("reviewState"), sdg=_arg("sdg"),
                           form_version=request.values.get("formVersion"))


def _flag(name: str, default: bool) -> bool:
    value = _arg(name)
    return default if value is None else value.lower() not in ("false", "0", "no")


def _is_phone(f) -> bool:
    """The `phonenumber` metadata, or a question the pipeline treats as a phone number."""
    if f.preload and f.preload[1] == "phonenumber":
        return True
    from app.pipeline.fields import FieldSpec

    return FieldSpec(f.path, f.type, f.control, False, None, False).is_phone


def phone_mask(form: Form, model: FormModel):
    """Phone fields' paths and the mask for them: the keyed hash unless a manager asked for
    clear numbers with `phoneNumbers=clear`, which is audited."""
    from app import crypto

    paths = frozenset(f.path for f in model.fields if _is_phone(f))
    if (_arg("phoneNumbers") or "").lower() != "clear":
        return paths, (lambda v: v if _HASHED.fullmatch(v) else crypto.phone_hash(v))
    principal = require_form("submission.export_phone", form.project_id, form.id)
    db.session.add(Audit(actor_id=principal.actor.id, action="submission.export.phone_clear",
                         project_id=form.project_id, form_id=form.id,
                         details={"path": request.path, "query": request.query_string.decode()}))
    db.session.commit()
    return paths, None


def _extra_fields(form: Form, model: FormModel):
    """Fields of older published versions the current one dropped (`deletedFields=true`)."""
    from sqlalchemy import select

    from app.exports.columns import owner_repeat

    known = {f.path for f in model.fields}
    out = []
    for sha256, xml_id in db.session.execute(select(FormVersion.sha256, FormVersion.id).where(
            FormVersion.form_id == form.id, FormVersion.published_at.is_not(None),
            FormVersion.id != form.current_version_id).order_by(FormVersion.id.desc())):
        old = schema_for(sha256, lambda i=xml_id: db.session.get(FormVersion, i).xml).model
        for f in old.fields:
            if f.path not in known and f.kind not in ("group",):
                known.add(f.path)
                out.append((f, None if f.kind == "repeat" else owner_repeat(old, f)))
    return out


def _csv(project_id: int, xml_form_id: str, zipped: bool) -> Response:
    form, _version, model = export_form(project_id, xml_form_id)
    chosen = filters()
    odata = _csv_odata_filter()
    paths, mask = phone_mask(form, model)
    options = CsvOptions(attachments=_flag("attachments", True),
                         group_paths=_flag("groupPaths", True),
                         split_select_multiples=_flag("splitSelectMultiples", False),
                         deleted_fields=_flag("deletedFields", False),
                         mask=mask, phone_paths=paths)
    if options.deleted_fields:
        options.extra_fields = _extra_fields(form, model)
        # An older version's phone field is personal data too.
        options.phone_paths |= {f.path for f, _ in options.extra_fields if _is_phone(f)}
    versions = queries.version_names(form.id)
    query = queries.base_query(form.id, chosen, odata).order_by(*queries.ORDER)
    values = None
    if options.split_select_multiples:
        values = csv_export.observed_select_values(
            model, queries.stream(query, versions, extras=False))
    layout = csv_export.layout_for(model, options, values)
    chunks = queries.stream(query, versions)

    def body() -> Iterator[bytes]:
        if not zipped:
            yield from csv_export.root_csv(layout, options, chunks)
            return
        media = csv_export.media_files(form.id, chosen) if options.attachments else ()
        yield from csv_export.csv_zip(layout, options, chunks, media)

    name = f"{form.xml_form_id}.csv.zip" if zipped else f"{form.xml_form_id}.csv"
    response = Response(stream_with_context(body()),
                        mimetype="application/zip" if zipped else "text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _csv_odata_filter():
    text = _arg("$filter")
    if text is None:
        return None
    from app.exports import odata_filter

    return odata_filter.to_sql(text, odata_filter.SUBMISSIONS)


@api.route(f"{BASE}/submissions.csv.zip", methods=["GET", "POST"])
def submissions_csv_zip(project_id: int, xml_form_id: str):
    return _csv(project_id, xml_form_id, zipped=True)


@api.route(f"{BASE}/submissions.csv", methods=["GET", "POST"])
def submissions_csv(project_id: int, xml_form_id: str):
    return _csv(project_id, xml_form_id, zipped=False)


# ---- OData (Central's .svc) ------------------------------------------------------------------
_ODATA_KEYS = {"$top", "$skip", "$skiptoken", "$count", "$filter", "$orderby", "$select",
               "$expand", "$wkt", "$format"}
_ORDERABLE = {"__id": "instance_id", "__system/submissionDate": "created_at",
              "__system/updatedAt": "updated_at", "__system/submitterId": "submitter_id",
              "__system/reviewState": "review_state"}


def _odata_response(body, mimetype: str = "application/json") -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["OData-Version"] = "4.0"
    return response


def _service_base(project_id: int, xml_form_id: str) -> str:
    return request.url_root.rstrip("/") + request.path.split(".svc")[0] + ".svc"


@api.route(f"{BASE}.svc")
def odata_service(project_id: int, xml_form_id: str):
    import json

    from app.exports import odata

    _form, _version, model = export_form(project_id, xml_form_id)
    return _odata_response(json.dumps(odata.service_document(
        model, _service_base(project_id, xml_form_id))))


@api.route(f"{BASE}.svc/$metadata")
def odata_metadata(project_id: int, xml_form_id: str):
    from app.exports import odata

    _form, _version, model = export_form(project_id, xml_form_id)
    return _odata_response(odata.metadata(model), "application/xml")


def _int(name: str) -> int | None:
    value = _arg(name)
    if value is None:
        return None
    try:
        return max(0, int(value))
    except ValueError:
        raise problems.unexpected_value(name, value, "expected an integer") from None


@api.route(f"{BASE}.svc/<table>")
def odata_table(project_id: int, xml_form_id: str, table: str):
    from app.exports import feed, odata, odata_filter

    form, _version, model = export_form(project_id, xml_form_id)
    for key in request.args:
        if key.startswith("$") and key not in _ODATA_KEYS:
            raise problems.not_implemented(key)
    repeat = None
    if table != "Submissions":
        repeat = odata.repeat_for_table(model, table)
        if repeat is None:
            raise problems.not_found()
    expand = _arg("$expand")
    if expand not in (None, "*"):
        raise problems.unsupported_odata_expand(expand)
    paths, mask = phone_mask(form, model)
    shaper = odata.Shaper(model, expand=expand == "*", wkt=_flag("$wkt", False), mask=mask,
                          phone_paths=paths)
    text = _arg("$filter")
    clause = None if text is None else odata_filter.to_sql(
        text, odata_filter.SUBMISSIONS if repeat is None else odata_filter.SUBTABLE)
    count_query = query = queries.base_query(form.id, filters(), clause)
    page = feed.Page(table=table, repeat=repeat, base=_service_base(project_id, xml_form_id),
                     args=dict(request.args.items()), top=_int("$top"), skip=_int("$skip") or 0,
                     count=_flag("$count", False),
                     select=[s.strip() for s in (_arg("$select") or "").split(",") if s.strip()])
    token = _arg("$skiptoken")
    if token is not None and repeat is None:
        query, page.skip = feed.after_token(query, form.id, token), 0
    query = query.order_by(*_orderby())
    body = feed.body(page, shaper, query, count_query, queries.version_names(form.id))
    return _odata_response(stream_with_context(body))


def _orderby():
    from app.models import Submission

    text = _arg("$orderby")
    if text is None:
        return queries.ORDER
    out = []
    for part in text.split(","):
        name, _, direction = part.strip().partition(" ")
        if name not in _ORDERABLE:
            raise problems.unsupported_odata_field(0, name)
        column = getattr(Submission, _ORDERABLE[name])
        out.append(column.desc() if direction.strip().lower() == "desc" else column.asc())
    return (*out, Submission.id.desc())

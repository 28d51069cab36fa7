"""Exports of a form's submissions: every registered format (app/exports/formats.py) at
`submissions.{format}`, large ones as background jobs, and the OData feed."""
from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from flask import Response, jsonify, request, stream_with_context

from app import problems
from app.config import setting
from app.exports import formats, queries
from app.exports.spec import ExportSpec, is_phone, mask_for, phone_paths
from app.extensions import db
from app.models import ExportJob, Form, FormVersion
from app.models.base import iso
from app.models.export_jobs import ExportStatus
from app.services import forms as form_service
from app.web import personal_data
from app.web.api.blueprint import api
from app.web.auth import require_form
from forms.model import FormModel
from sync.schema import schema_for

BASE = "/projects/<int:project_id>/forms/<xml_form_id>"


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
    submitter = _arg("submitterId")
    if submitter is not None and not submitter.isdigit():
        raise problems.unexpected_value("submitterId", submitter, "expected an actor id")
    return queries.Filters(since=_when("since"), until=_when("until"), channel=_arg("channel"),
                           review_state=_arg("reviewState"), sdg=_arg("sdg"),
                           form_version=request.values.get("formVersion"),
                           submitter_id=int(submitter) if submitter else None)


def _flag(name: str, default: bool) -> bool:
    value = _arg(name)
    return default if value is None else value.lower() not in ("false", "0", "no")


_is_phone = is_phone


def phone_policy(form: Form) -> str:
    """"hashed" unless a caller allowed to asked for clear personal data (app.web.
    personal_data), audited here, at request time."""
    return personal_data.policy(form, "submission.export.phone_clear")


def phone_mask(form: Form, model: FormModel):
    """Personal fields' paths and the mask for them: the keyed hash unless a manager asked
    for clear values with `personalData=clear`, which is audited."""
    return phone_paths(model), mask_for(phone_policy(form))


def export_spec(form: Form, fmt: str) -> ExportSpec:
    """The request's export as a plain spec; 400 for a bad filter or option. Does not
    authorise clear phone numbers (see phone_policy)."""
    from app.exports.spec import odata_clause

    text = _arg("$filter")
    odata_clause(text)  # a bad $filter is a 400 now, not halfway through the stream
    return ExportSpec(form_id=form.id, format=fmt, filters=filters(), odata_filter=text,
                      attachments=_flag("attachments", True),
                      group_paths=_flag("groupPaths", True),
                      split_select_multiples=_flag("splitSelectMultiples", False),
                      deleted_fields=_flag("deletedFields", False),
                      language=_arg("language"),
                      formula_safe=_flag("formulaSafe", False))


def stream_export(form: Form, spec: ExportSpec) -> Response:
    fmt = formats.get(spec.format)
    response = Response(stream_with_context(formats.produce(spec)), mimetype=fmt.mimetype)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{fmt.filename(form.xml_form_id)}"')
    return response


@api.route(f"{BASE}/submissions.<fmt>", methods=["GET", "POST"])
def submissions_export(project_id: int, xml_form_id: str, fmt: str):
    """`submissions.csv.zip`, `submissions.csv` and every other registered format; a large
    export (over EXPORT_ASYNC_ROWS submissions) or `?async=true` answers 202 with a job;
    `?async=false` always streams."""
    return _export(project_id, xml_form_id, fmt)


def _export(project_id: int, xml_form_id: str, fmt: str, background_ok: bool = True):
    from dataclasses import replace

    from app.exports import jobs
    from app.exports.spec import Source

    kind = formats.get(fmt)
    if kind is None:
        raise problems.not_found()
    form, _version, _model = export_form(project_id, xml_form_id)
    try:
        kind.check()
    except formats.FormatUnavailable as missing:
        raise problems.Problem(501.1, f"{missing}.", {"feature": f"{fmt} export"}) from None
    spec = export_spec(form, fmt)
    asked = _arg("async")
    total, threshold = None, setting("EXPORT_ASYNC_ROWS")
    if not background_ok:
        background = False
    elif asked is not None:
        background = asked.lower() not in ("false", "0", "no")
    elif threshold > 0:  # 0: never on our own (always stream, as Central does)
        total = Source(spec).count()
        background = total > threshold
    else:
        background = False
    spec = replace(spec, phones=phone_policy(form))
    if not background:
        return stream_export(form, spec)
    job = jobs.create(spec, _actor_id(), total)
    jobs.dispatch(job)
    db.session.expire_all()
    job = db.session.get(ExportJob, job.id)
    response = jsonify(_job_json(form, job))
    response.status_code = 202
    response.headers["Location"] = _job_url(form, job)
    return response


# ---- Background export jobs ------------------------------------------------------------------
def _actor_id() -> int | None:
    from flask import g

    principal = getattr(g, "principal", None)
    return principal.actor.id if principal is not None else None


def _jobs_base(form: Form) -> str:
    prefix = request.path.split("/projects/")[0]
    return (f"{request.url_root.rstrip('/')}{prefix}/projects/{form.project_id}/forms/"
            f"{quote(form.xml_form_id, safe='')}/exports")


def _job_url(form: Form, job: ExportJob) -> str:
    return f"{_jobs_base(form)}/{job.id}"


def _job_json(form: Form, job: ExportJob) -> dict:
    from app.exports import jobs

    return {"id": job.id, "status": job.status, "format": job.format, "rows": job.rows,
            "total": job.total, "progress": jobs.progress_of(job),
            "phoneNumbers": ExportSpec.from_dict(job.spec).phones,
            "createdAt": iso(job.created_at), "finishedAt": iso(job.finished_at),
            "expiresAt": iso(job.expires_at), "error": job.error,
            "downloadUrl": (f"{_job_url(form, job)}/file" if job.status == ExportStatus.DONE
                            else None)}


def form_job(project_id: int, xml_form_id: str, job_id: int) -> tuple[Form, ExportJob]:
    form, _version, _model = export_form(project_id, xml_form_id)
    job = db.session.get(ExportJob, job_id)
    if job is None or job.form_id != form.id:
        raise problems.not_found()
    from app.exports import jobs

    return form, jobs.refresh(job)


@api.route(f"{BASE}/exports")
def export_jobs_list(project_id: int, xml_form_id: str):
    """The form's export jobs, newest first (expired ones are removed first)."""
    from app.exports import jobs

    form, _version, _model = export_form(project_id, xml_form_id)
    jobs.cleanup()
    return jsonify([_job_json(form, jobs.refresh(job)) for job in jobs.for_form(form.id)])


@api.route(f"{BASE}/exports/<int:job_id>")
def export_job(project_id: int, xml_form_id: str, job_id: int):
    form, job = form_job(project_id, xml_form_id, job_id)
    return jsonify(_job_json(form, job))


def job_file(form: Form, job: ExportJob):
    """The finished file of a job, as a download, for whoever may read the form's submissions;
    a file with clear personal data is its requester's alone (who must still hold
    submission.read_personal). 409 while it runs, with the error if it failed."""
    from flask import send_file

    from app.exports import jobs

    if job.spec.get("phones") == "clear":
        principal = require_form(personal_data.READ_PERSONAL, form.project_id, form.id)
        if principal.actor.id != job.actor_id:
            raise problems.insufficient_rights()
    if job.status != ExportStatus.DONE:
        raise problems.invalid_state(
            f"The export is {job.status}, not done."
            + (f" {job.error}" if job.status == ExportStatus.FAILED and job.error else ""),
            {"status": job.status})
    path = jobs.file_path(job)
    if path is None or not path.exists():
        raise problems.not_found()
    fmt = formats.get(job.format)
    return send_file(path, mimetype=fmt.mimetype if fmt else "application/octet-stream",
                     as_attachment=True,
                     download_name=(fmt.filename(form.xml_form_id) if fmt
                                    else f"{form.xml_form_id}.{job.format}"))


@api.route(f"{BASE}/exports/<int:job_id>/file")
def export_job_file(project_id: int, xml_form_id: str, job_id: int):
    form, job = form_job(project_id, xml_form_id, job_id)
    return job_file(form, job)


def submissions_csv_zip(project_id: int, xml_form_id: str):
    """The `submissions.csv.zip` stream, never a job (bench/export.py profiles it)."""
    return _export(project_id, xml_form_id, "csv.zip", background_ok=False)


def submissions_csv(project_id: int, xml_form_id: str):
    return _export(project_id, xml_form_id, "csv", background_ok=False)


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

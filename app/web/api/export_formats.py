"""The export formats beside Central's CSV: `submissions.xlsx`, `.geojson`, `.jsonl`, `.sav`,
`.dta`. Each takes our filters (`since`, `until`, `channel`, `reviewState`, `sdg`,
`formVersion`) and Central's `$filter`, reads with a server-side cursor and streams; phone
fields carry the keyed hash unless a manager asks for `phoneNumbers=clear` (audited). Viewers
may export; app users and data collectors get 403. The writers (app/exports/*_export.py) are
request-independent: jobs and the CLI call them too."""
from __future__ import annotations

from collections.abc import Iterator

from flask import Response, request, stream_with_context
from sqlalchemy import select

from app import problems
from app.exports import queries
from app.extensions import db
from app.models import Form, FormVersion
from app.web.api import api
from app.web.api.exports import export_form, filters, phone_mask
from forms.model import FormModel
from sync.schema import schema_for

BASE = "/projects/<int:project_id>/forms/<xml_form_id>"


def _value(name: str) -> str | None:
    value = request.values.get(name)
    return value.strip() if value and value.strip() else None


def _flag(name: str, default: bool) -> bool:
    value = _value(name)
    return default if value is None else value.lower() not in ("false", "0", "no")


def _query(form: Form):
    """The form's current submissions the request selects, newest first."""
    clause = None
    text = _value("$filter")
    if text is not None:
        from app.exports import odata_filter

        clause = odata_filter.to_sql(text, odata_filter.SUBMISSIONS)
    return queries.base_query(form.id, filters(), clause).order_by(*queries.ORDER)


def _download(body: Iterator[bytes], mimetype: str, name: str | None) -> Response:
    response = Response(stream_with_context(body), mimetype=mimetype)
    if name is not None:
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _language(model: FormModel) -> str | None:
    """`?language=` as one of the form's languages (its name, "English", or the code "en");
    the form's default when absent; 400 naming the language when the form has no such one."""
    from app.exports.typed import pick_language

    asked = _value("language")
    try:
        return pick_language(model.languages, model.default_language, asked)
    except LookupError:
        known = ", ".join(model.languages) or "none (the form is not translated)"
        raise problems.unexpected_value(
            "language", asked, f"the form's languages are: {known}") from None


@api.route(f"{BASE}/submissions.xlsx", methods=["GET", "POST"])
def submissions_xlsx(project_id: int, xml_form_id: str):
    from app.exports import csv_export, xlsx_export
    from app.exports.csv_export import CsvOptions

    form, _version, model = export_form(project_id, xml_form_id)
    query = _query(form)
    paths, mask = phone_mask(form, model)
    options = CsvOptions(group_paths=_flag("groupPaths", True),
                         split_select_multiples=_flag("splitSelectMultiples", False),
                         mask=mask, phone_paths=paths)
    versions = queries.version_names(form.id)

    def body() -> Iterator[bytes]:
        values = None
        if options.split_select_multiples:
            values = csv_export.observed_select_values(
                model, queries.stream(query, versions, extras=False))
        layout = csv_export.layout_for(model, options, values)
        yield from xlsx_export.write_xlsx(layout, options, queries.stream(query, versions))

    return _download(body(), xlsx_export.MIMETYPE, f"{form.xml_form_id}.xlsx")


def version_models(form: Form) -> dict[str, FormModel]:
    """Every published version's model, by version name."""
    out = {}
    for name, sha256, version_id in db.session.execute(
            select(FormVersion.version, FormVersion.sha256, FormVersion.id).where(
                FormVersion.form_id == form.id, FormVersion.published_at.is_not(None))):
        out[name] = schema_for(sha256, lambda i=version_id: db.session.get(FormVersion, i).xml
                               ).model
    return out


@api.route(f"{BASE}/submissions.geojson", methods=["GET"])
def submissions_geojson(project_id: int, xml_form_id: str):
    """Central's submissions.geojson: `fieldpath` (at most one), `limit`, `$filter`."""
    from app.exports import geojson_export

    form, _version, model = export_form(project_id, xml_form_id)
    paths = list(dict.fromkeys(request.args.getlist("fieldpath")))
    if len(paths) > 1:
        raise problems.Problem(
            400.41, f"Parameters of set {{{', '.join(paths)}}}: at most one fieldpath may be "
            "specified", {"paramSet": paths,
                          "violationText": "at most one fieldpath may be specified"})
    try:  # Central: Number.parseInt(limit) || null
        limit = int(request.args.get("limit", "").strip()) or None
    except ValueError:
        limit = None
    query = _query(form)
    if limit is not None and limit > 0:
        query = query.limit(limit)
    elif limit is not None:
        limit = None
    phone_mask(form, model)  # geodata is never a phone number, but a clear request is audited
    versions = queries.version_names(form.id)
    models = version_models(form)
    body = geojson_export.write_geojson(models, model,
                                        queries.stream(query, versions, extras=False),
                                        fieldpath=paths[0] if paths else None, limit=limit)
    return _download(body, geojson_export.MIMETYPE, None)


@api.route(f"{BASE}/submissions.jsonl", methods=["GET", "POST"])
def submissions_jsonl(project_id: int, xml_form_id: str):
    from app.exports import jsonl_export

    form, _version, model = export_form(project_id, xml_form_id)
    query = _query(form)
    paths, mask = phone_mask(form, model)
    versions = queries.version_names(form.id)
    body = jsonl_export.write_jsonl(model, queries.stream(query, versions), mask=mask,
                                    phone_paths=paths)
    return _download(body, jsonl_export.MIMETYPE, f"{form.xml_form_id}.jsonl")


def _stats(project_id: int, xml_form_id: str, fmt: str) -> Response:
    from app.exports import stats_export

    form, _version, model = export_form(project_id, xml_form_id)
    language = _language(model)
    query = _query(form)
    paths, mask = phone_mask(form, model)
    versions = queries.version_names(form.id)
    body = stats_export.write_stats(model, queries.stream(query, versions), fmt,
                                    language=language, mask=mask, phone_paths=paths)
    name = stats_export.filename(model, fmt).replace(model.form_id, form.xml_form_id, 1)
    return _download(body, stats_export.mimetype(model, fmt), name)


@api.route(f"{BASE}/submissions.sav", methods=["GET", "POST"])
def submissions_sav(project_id: int, xml_form_id: str):
    return _stats(project_id, xml_form_id, "sav")


@api.route(f"{BASE}/submissions.dta", methods=["GET", "POST"])
def submissions_dta(project_id: int, xml_form_id: str):
    return _stats(project_id, xml_form_id, "dta")

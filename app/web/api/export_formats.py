"""The export formats beside Central's CSV that take options of their own.

`submissions.xlsx` and `.jsonl` need none: like every registered format
(app/exports/formats.py) they are served by `submissions.<fmt>` in exports.py (a large export
as a background job). Here: `submissions.geojson` with Central's `fieldpath` and `limit`, and
`submissions.sav(.zip)` / `.dta(.zip)`, whose `language` is checked (400) before anything
streams. Every format takes our filters (`since`, `until`, `channel`, `reviewState`, `sdg`,
`formVersion`) and Central's `$filter`, reads with a server-side cursor, and hashes phone
fields unless a manager asks for `phoneNumbers=clear` (audited). Viewers may export; app users
and data collectors get 403. The writers (app/exports/*_export.py) are request-independent:
jobs and `flask export` call them too."""
from __future__ import annotations

from flask import Response, request, stream_with_context

from app import problems
from app.exports import queries
from app.web.api.blueprint import api
from app.web.api.exports import export_form, filters, phone_mask
from forms.model import FormModel

BASE = "/projects/<int:project_id>/forms/<xml_form_id>"


def _value(name: str) -> str | None:
    value = request.values.get(name)
    return value.strip() if value and value.strip() else None


def language_of(model: FormModel) -> str | None:
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


def _fieldpath() -> str | None:
    paths = list(dict.fromkeys(request.args.getlist("fieldpath")))
    if len(paths) > 1:
        raise problems.Problem(
            400.41, f"Parameters of set {{{', '.join(paths)}}}: at most one fieldpath may be "
            "specified", {"paramSet": paths,
                          "violationText": "at most one fieldpath may be specified"})
    return paths[0] if paths else None


@api.route(f"{BASE}/submissions/<instance_id>.geojson", methods=["GET"])
def submission_geojson(project_id: int, xml_form_id: str, instance_id: str):
    """Central's single-submission GeoJSON: its current version's geodata (`fieldpath` as
    below), the feature's id being that version's instanceID; 404 for no such submission."""
    from app.exports import geojson_export
    from app.exports.queries import Filters
    from app.models import Submission

    form, _version, model = export_form(project_id, xml_form_id)
    fieldpath = _fieldpath()
    query = queries.base_query(form.id, Filters(), Submission.instance_id == instance_id)
    rows = [row for chunk in queries.stream(query, queries.version_names(form.id),
                                            extras=False) for row in chunk]
    if not rows:
        raise problems.not_found()
    body = b"".join(geojson_export.write_geojson(
        geojson_export.version_models(form.id), model, [rows], fieldpath=fieldpath,
        current_ids=True))
    return Response(body, mimetype=geojson_export.MIMETYPE)


@api.route(f"{BASE}/submissions.geojson", methods=["GET"])
def submissions_geojson(project_id: int, xml_form_id: str):
    """Central's submissions.geojson: `fieldpath` (at most one), `limit`, `$filter`."""
    from app.exports import geojson_export, odata_filter

    form, _version, model = export_form(project_id, xml_form_id)
    fieldpath = _fieldpath()
    try:  # Central: Number.parseInt(limit) || null
        limit = int(request.args.get("limit", "").strip()) or None
    except ValueError:
        limit = None
    if limit is not None and limit < 0:
        limit = None
    text = _value("$filter")
    clause = None if text is None else odata_filter.to_sql(text, odata_filter.SUBMISSIONS)
    query = queries.base_query(form.id, filters(), clause).order_by(*queries.ORDER)
    if limit is not None:
        query = query.limit(limit)
    phone_mask(form, model)  # geodata is never a phone number, but a clear request is audited
    body = geojson_export.write_geojson(
        geojson_export.version_models(form.id), model,
        queries.stream(query, queries.version_names(form.id), extras=False),
        fieldpath=fieldpath, limit=limit)
    return Response(stream_with_context(body), mimetype=geojson_export.MIMETYPE)


def _stats(project_id: int, xml_form_id: str, fmt: str) -> Response:
    """SPSS / Stata: a `language` the form does not have is a 400 before anything streams;
    then the registered format serves it, a large export as a background job."""
    from app.web.api.exports import submissions_export

    _form, _version, model = export_form(project_id, xml_form_id)
    language_of(model)
    return submissions_export(project_id, xml_form_id, fmt)


@api.route(f"{BASE}/submissions.sav", methods=["GET", "POST"])
def submissions_sav(project_id: int, xml_form_id: str):
    return _stats(project_id, xml_form_id, "sav")


@api.route(f"{BASE}/submissions.sav.zip", methods=["GET", "POST"])
def submissions_sav_zip(project_id: int, xml_form_id: str):
    return _stats(project_id, xml_form_id, "sav.zip")


@api.route(f"{BASE}/submissions.dta", methods=["GET", "POST"])
def submissions_dta(project_id: int, xml_form_id: str):
    return _stats(project_id, xml_form_id, "dta")


@api.route(f"{BASE}/submissions.dta.zip", methods=["GET", "POST"])
def submissions_dta_zip(project_id: int, xml_form_id: str):
    return _stats(project_id, xml_form_id, "dta.zip")

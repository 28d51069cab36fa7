"""Indicators: declare, change, list; series as JSON, Open SDG CSV and SDMX-CSV; official
series. Managers and admins see every number; viewers get the suppressed tables."""
from __future__ import annotations

from typing import Any

from flask import Response, current_app, jsonify, request

from app import problems
from app.extensions import db
from app.indicators import formats, jobs, official, series, service
from app.models import Form, Indicator, OfficialSeries, Project
from app.web.access import project_or_404
from app.web.api.blueprint import api
from app.web.api.common import iso, json_body, listing, success
from app.web.auth import current_principal

BASE = "/projects/<int:project_id>/indicators"


def indicator_json(indicator: Indicator, form: Form) -> dict[str, Any]:
    return {"id": indicator.id, "form": form.xml_form_id, **indicator.definition,
            "source": indicator.source, "rebuilding": indicator.rebuilding,
            "errors": indicator.errors, "lastError": indicator.last_error,
            "createdAt": iso(indicator.created_at), "updatedAt": iso(indicator.updated_at)}


def full_access(project_id: int) -> bool:
    """Managers and admins see every number; everyone else gets suppressed tables."""
    principal = current_principal()
    return principal is not None and principal.can("indicator.manage", project_id)


def _indicator(project_id: int, indicator_id: int, verb: str = "indicator.read"):
    project = project_or_404(project_id, verb)
    found = service.get_indicator(project_id, indicator_id)
    if found is None:
        raise problems.not_found()
    return project, found[0], found[1]


@api.get(BASE)
def list_indicators(project_id: int):
    project_or_404(project_id, "indicator.read")
    return listing([indicator_json(i, f)
                    for i, f in service.list_indicators(project_id)])


@api.post(BASE)
def create_indicator(project_id: int):
    project_or_404(project_id, "indicator.manage")
    indicator, form = service.create_indicator(project_id, json_body())
    jobs.rebuild_later([indicator.id])
    db.session.commit()
    return jsonify(indicator_json(indicator, form)), 201


@api.get(f"{BASE}/<int:indicator_id>")
def get_indicator(project_id: int, indicator_id: int):
    _, indicator, form = _indicator(project_id, indicator_id)
    return jsonify(indicator_json(indicator, form))


@api.patch(f"{BASE}/<int:indicator_id>")
def update_indicator(project_id: int, indicator_id: int):
    _, indicator, form = _indicator(project_id, indicator_id, "indicator.manage")
    indicator, form, changed = service.update_indicator(indicator, form, json_body())
    if changed:
        jobs.rebuild_later([indicator.id])
    db.session.commit()
    return jsonify(indicator_json(indicator, form))


@api.delete(f"{BASE}/<int:indicator_id>")
def delete_indicator(project_id: int, indicator_id: int):
    _, indicator, _ = _indicator(project_id, indicator_id, "indicator.manage")
    service.delete_indicator(indicator)
    db.session.commit()
    return success()


def _series(project: Project, indicator: Indicator, *, restricted: bool,
            by: str | None = None) -> tuple[dict, series.Query]:
    spec = service.spec_of(indicator)
    args = dict(request.args)
    if by is not None:
        args["by"] = by
    query = series.parse_query(spec, args, restricted=restricted)
    body = series.series(indicator, spec, query, restricted=restricted,
                         k=series.threshold(project.settings),
                         cache_seconds=current_app.config.get("INDICATOR_CACHE_SECONDS", 0))
    return body, query


def series_json(project: Project, indicator: Indicator, form, *, restricted: bool) -> dict:
    body, _ = _series(project, indicator, restricted=restricted)
    summary = indicator_json(indicator, form)
    if restricted:
        summary = {k: summary[k] for k in ("id", "code", "sdg", "kind", "labels", "period",
                                           "disaggregateBy")}
    return {"indicator": summary, **body}


@api.get(f"{BASE}/<int:indicator_id>/series")
def indicator_series(project_id: int, indicator_id: int):
    project, indicator, form = _indicator(project_id, indicator_id)
    return jsonify(series_json(project, indicator, form,
                               restricted=not full_access(project_id)))


def _blocks(project: Project, indicator: Indicator, *, restricted: bool):
    """The headline, each dimension alone, and the `by=` breakdown when it has more."""
    spec = service.spec_of(indicator)
    asked = [b for b in (request.args.get("by") or "").split(",") if b.strip()]
    breakdowns = [(), *((d.name,) for d in spec.dimensions if d.name != "area")]
    if "area" in [d.name for d in spec.dimensions]:
        breakdowns.append(("area",))
    if len(asked) > 1:
        breakdowns.append(tuple(asked))
    blocks, unit = [], spec.period_unit
    for dims in breakdowns:
        body, query = _series(project, indicator, restricted=restricted, by=",".join(dims))
        unit = query.unit
        blocks.append((dims, body["points"]))
    return spec, blocks, unit


def _download(body: str, name: str, mimetype: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@api.get(f"{BASE}/<int:indicator_id>/series.csv")
def indicator_series_csv(project_id: int, indicator_id: int):
    project, indicator, _ = _indicator(project_id, indicator_id)
    spec, blocks, _ = _blocks(project, indicator, restricted=not full_access(project_id))
    name = f"indicator_{spec.sdg.replace('.', '-')}.csv"
    response = _download(formats.open_sdg_csv(spec, blocks), name, "text/csv")
    response.headers["Link"] = (f'<{request.path.removesuffix(".csv")}.meta.yml>; '
                                'rel="describedby"')
    return response


@api.get(f"{BASE}/<int:indicator_id>/series.meta.yml")
def indicator_series_meta(project_id: int, indicator_id: int):
    project, indicator, form = _indicator(project_id, indicator_id)
    meta = formats.open_sdg_metadata(service.spec_of(indicator), project=project.name,
                                     form=form.xml_form_id,
                                     lang=request.args.get("lang") or "en")
    return _download(meta, f"{service.spec_of(indicator).sdg.replace('.', '-')}.yml",
                     "application/yaml")


@api.get(f"{BASE}/<int:indicator_id>/series.sdmx.csv")
def indicator_series_sdmx(project_id: int, indicator_id: int):
    project, indicator, form = _indicator(project_id, indicator_id)
    spec, blocks, unit = _blocks(project, indicator, restricted=not full_access(project_id))
    body = formats.sdmx_csv(spec, blocks, unit=unit,
                            ref_area=str((project.settings or {}).get("refArea") or ""),
                            source=f"{project.name}: citizen-generated data, form "
                                   f"{form.xml_form_id}")
    return _download(body, f"{spec.code}.sdmx.csv", "application/vnd.sdmx.data+csv")


def official_json(indicator: Indicator, row: OfficialSeries) -> dict:
    return {"indicator": indicator.id, "source": row.source, "columns": row.columns,
            "uploadedAt": iso(row.uploaded_at), "points": row.rows}


@api.post(f"{BASE}/<int:indicator_id>/official")
def upload_official(project_id: int, indicator_id: int):
    _, indicator, _ = _indicator(project_id, indicator_id, "indicator.manage")
    data = request.files["file"].read() if "file" in request.files else request.get_data()
    try:
        columns, rows = official.parse(data)
    except official.BadOfficialSeries as error:
        raise problems.Problem(400.8, error.message, {"row": error.row,
                                                      "column": error.column}) from None
    principal = current_principal()
    row = db.session.query(OfficialSeries).filter_by(indicator_id=indicator.id).one_or_none()
    if row is None:
        row = OfficialSeries(indicator_id=indicator.id)
        db.session.add(row)
    row.source = (request.args.get("source") or request.form.get("source") or None)
    row.columns, row.rows = columns, rows
    row.csv = data.decode("utf-8-sig")
    row.uploaded_by = principal.actor.id if principal else None
    from app.models.base import utcnow

    row.uploaded_at = utcnow()
    db.session.commit()
    return jsonify(official_json(indicator, row)), 201


@api.get(f"{BASE}/<int:indicator_id>/official")
def get_official(project_id: int, indicator_id: int):
    _, indicator, _ = _indicator(project_id, indicator_id)
    row = db.session.query(OfficialSeries).filter_by(indicator_id=indicator.id).one_or_none()
    if row is None:
        raise problems.not_found()
    if "text/csv" in request.headers.get("Accept", ""):
        return Response(row.csv, mimetype="text/csv")
    return jsonify(official_json(indicator, row))

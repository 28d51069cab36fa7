"""Public dashboards: managed per project, read by anyone at /v1/public/{slug}, with the
small-cell suppression viewers get, caching headers, and CORS for the allowed origins."""
from __future__ import annotations

import hashlib
from typing import Any

import orjson
from flask import Response, current_app, jsonify, request

from app import problems
from app.extensions import db
from app.indicators import public, series, service
from app.models import Project, PublicDashboard
from app.web.access import project_or_404, project_row_or_404
from app.web.api.blueprint import api
from app.web.api.common import iso, json_body, listing, success

BOARDS = "/projects/<int:project_id>/public-dashboards"
# Public numbers change when submissions arrive; a few minutes of staleness is fine.
MAX_AGE = 300


def board_json(board: PublicDashboard) -> dict[str, Any]:
    return {"id": board.id, "slug": board.slug, "title": board.title,
            "indicators": list(board.indicator_ids or []),
            "allowedOrigins": list(board.allowed_origins or []),
            "published": board.published, "url": f"/p/{board.slug}",
            "createdAt": iso(board.created_at), "updatedAt": iso(board.updated_at)}


def _board_or_404(project_id: int, board_id: int) -> PublicDashboard:
    return project_row_or_404(project_id, "indicator.manage", public.get_board, board_id)


@api.get(BOARDS)
def list_public_dashboards(project_id: int):
    project_or_404(project_id, "indicator.read")
    return listing([board_json(b) for b in public.list_boards(project_id)])


@api.post(BOARDS)
def create_public_dashboard(project_id: int):
    project_or_404(project_id, "indicator.manage")
    board = public.save(project_id, json_body())
    db.session.commit()
    return jsonify(board_json(board)), 201


@api.patch(f"{BOARDS}/<int:board_id>")
def update_public_dashboard(project_id: int, board_id: int):
    board = _board_or_404(project_id, board_id)
    public.save(project_id, json_body(), board)
    db.session.commit()
    return jsonify(board_json(board))


@api.delete(f"{BOARDS}/<int:board_id>")
def delete_public_dashboard(project_id: int, board_id: int):
    board = _board_or_404(project_id, board_id)
    public.delete(board)
    db.session.commit()
    return success()


def _board(slug: str):
    board = public.by_slug(slug)
    if board is None:
        raise problems.not_found()
    return board, db.session.get(Project, board.project_id)


def _public(body: dict, board) -> Response:  # noqa: ANN001
    """JSON with caching headers (and an ETag answered with 304) and CORS for the
    dashboard's allowed origins."""
    data = orjson.dumps(body)
    etag = hashlib.sha256(data).hexdigest()[:32]
    if request.if_none_match.contains(etag):
        response = Response(status=304)
    else:
        response = Response(data, mimetype="application/json")
    response.set_etag(etag)
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    _cors(response, board)
    return response


def _cors(response: Response, board) -> None:  # noqa: ANN001
    origin = request.headers.get("Origin")
    response.vary.add("Origin")
    if origin and origin.lower().rstrip("/") in (board.allowed_origins or []):
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Methods"] = "GET, OPTIONS"
        response.headers["Access-Control-Max-Age"] = "3600"


def _latest(project: Project, indicator, spec) -> dict | None:  # noqa: ANN001
    query = series.Query((), spec.period_unit, None, None, None)
    points = series.series(indicator, spec, query, restricted=True,
                           k=series.threshold(project.settings),
                           cache_seconds=current_app.config.get("INDICATOR_CACHE_SECONDS", 0)
                           )["points"]
    return points[-1] if points else None


def dashboard_json(board, project: Project) -> dict:  # noqa: ANN001
    indicators = []
    for indicator, _form in service.list_indicators(project.id):
        if indicator.id not in (board.indicator_ids or []):
            continue
        spec = service.spec_of(indicator)
        indicators.append({
            "id": indicator.id, "code": spec.code, "sdg": spec.sdg, "goal": spec.goal,
            "kind": spec.kind, "labels": spec.labels, "period": spec.period_unit,
            "disaggregateBy": [d.name for d in spec.dimensions],
            "latest": _latest(project, indicator, spec)})
    order = {i: n for n, i in enumerate(board.indicator_ids or [])}
    indicators.sort(key=lambda i: order[i["id"]])
    return {"slug": board.slug, "title": board.title, "project": project.name,
            "suppression": {"threshold": series.threshold(project.settings)},
            "indicators": indicators}


def _preflight(board) -> Response:  # noqa: ANN001
    """CORS preflight: embedding sites ask before their first GET."""
    response = Response(status=204)
    _cors(response, board)
    return response


@api.route("/public/<slug>", methods=["GET", "OPTIONS"], provide_automatic_options=False)
def public_dashboard(slug: str):
    board, project = _board(slug)
    if request.method == "OPTIONS":
        return _preflight(board)
    return _public(dashboard_json(board, project), board)


@api.route("/public/<slug>/indicators/<int:indicator_id>/series", methods=["GET", "OPTIONS"],
           provide_automatic_options=False)
def public_series(slug: str, indicator_id: int):
    board, project = _board(slug)
    if request.method == "OPTIONS":
        return _preflight(board)
    found = service.get_indicator(project.id, indicator_id)
    if found is None or indicator_id not in (board.indicator_ids or []):
        raise problems.not_found()
    from app.web.api.indicators import series_json

    return _public(series_json(project, found[0], found[1], restricted=True), board)

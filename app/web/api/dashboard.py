"""What the dashboard reads beside the series: the goals the project's data speaks to, the
quotes managers approved (never public), and the area boundaries its map draws."""
from __future__ import annotations

from flask import jsonify, request

from app import problems
from app.extensions import db
from app.indicators import overview
from app.models import ApprovedQuote, AreaBoundaries
from app.web.access import project_or_404
from app.web.api.blueprint import api
from app.web.api.common import iso, json_body, listing, page, success
from app.web.auth import current_principal
from forms.sdg.catalogue import describe

BASE = "/projects/<int:project_id>"


def quote_json(quote: ApprovedQuote) -> dict:
    return {"id": quote.id, "goal": quote.goal, "field": quote.field, "text": quote.text,
            "submissionId": quote.submission_id, "approvedBy": quote.approved_by,
            "approvedAt": iso(quote.approved_at)}


@api.get(f"{BASE}/sdg-goals")
def sdg_goals(project_id: int):
    project_or_404(project_id, "indicator.read")
    lang = request.args.get("lang") or "en"
    return listing([{**row, "title": describe(str(row["goal"]), lang)}
                    for row in overview.goal_counts(project_id)])


def _goal() -> int | None:
    raw = request.args.get("goal")
    if raw in (None, ""):
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= 17:
        raise problems.unexpected_value("goal", raw, "a goal 1-17")
    return int(raw)


@api.get(f"{BASE}/quotes")
def list_quotes(project_id: int):
    project_or_404(project_id, "indicator.read")
    return listing([quote_json(q) for q in overview.quotes(project_id, _goal())])


@api.get(f"{BASE}/quotes/candidates")
def quote_candidates(project_id: int):
    project_or_404(project_id, "indicator.manage")
    goal = _goal()
    if goal is None:
        raise problems.missing_parameter("goal")
    limit, offset = page()
    found = overview.quote_candidates(project_id, goal, limit, offset)
    response = listing(found.items)
    if found.more:  # a page can be short (personal answers left out): say where the next is
        response.headers["Link"] = (f'<{request.path}?goal={goal}&limit={limit}'
                                    f'&offset={offset + limit}>; rel="next"')
    return response


@api.post(f"{BASE}/quotes")
def approve_quote(project_id: int):
    project_or_404(project_id, "indicator.manage")
    principal = current_principal()
    quote = overview.approve_quote(project_id, json_body(),
                                   principal.actor.id if principal else None)
    db.session.commit()
    return jsonify(quote_json(quote)), 201


@api.delete(f"{BASE}/quotes/<int:quote_id>")
def delete_quote(project_id: int, quote_id: int):
    project_or_404(project_id, "indicator.manage")
    overview.withdraw_quote(project_id, quote_id)
    db.session.commit()
    return success()


def _boundaries_or_404(project_id: int, verb: str) -> AreaBoundaries:
    project_or_404(project_id, verb)
    row = overview.boundaries(project_id)
    if row is None:
        raise problems.not_found()
    return row


@api.get(f"{BASE}/boundaries")
def get_boundaries(project_id: int):
    row = _boundaries_or_404(project_id, "indicator.read")
    return jsonify({"match": row.match, "uploadedAt": iso(row.uploaded_at),
                    "geojson": row.geojson})


@api.put(f"{BASE}/boundaries")
def put_boundaries(project_id: int):
    project_or_404(project_id, "indicator.manage")
    row = overview.save_boundaries(project_id, request.get_data(), request.args.get("match"))
    db.session.commit()
    return jsonify({"match": row.match, "uploadedAt": iso(row.uploaded_at),
                    "features": len(row.geojson["features"])})


@api.delete(f"{BASE}/boundaries")
def delete_boundaries(project_id: int):
    row = _boundaries_or_404(project_id, "indicator.manage")
    db.session.delete(row)
    db.session.commit()
    return success()

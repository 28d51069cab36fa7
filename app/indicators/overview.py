"""What the project's citizen data says per SDG goal, the quotes a manager approved for the
dashboard, and the area boundaries its map is drawn on."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, distinct, func, select

from app import problems
from app.extensions import db
from app.models import (
    ApprovedQuote,
    AreaBoundaries,
    CleanedRecord,
    Form,
    FormVersion,
    SdgTag,
    Submission,
    SubmissionDef,
)
from app.models.base import utcnow
from forms.review import ReviewState

MAX_BOUNDARY_BYTES = 5 * 1024 * 1024
MAX_QUOTE = 500
_SHAPES = {"Polygon", "MultiPolygon"}


def _current_of_project(project_id: int) -> list:
    return [SubmissionDef.current.is_(True), Submission.deleted_at.is_(None),
            Form.project_id == project_id, Form.deleted_at.is_(None),
            func.coalesce(Submission.review_state, ReviewState.RECEIVED) != ReviewState.REJECTED]


def goal_counts(project_id: int) -> list[dict[str, int]]:
    """Per goal 1-17: submissions the forms map to it (source form), submissions the
    classifier tags with it (source model), and tagged free-text answers; rejected
    submissions are left out."""
    rows = db.session.execute(
        select(SdgTag.goal,
               func.count(distinct(case((SdgTag.source == "form", SdgTag.submission_def_id)))),
               func.count(distinct(case((SdgTag.source == "model",
                                         SdgTag.submission_def_id)))),
               func.count(case((and_(SdgTag.source == "model", SdgTag.field != ""), 1))))
        .join(SubmissionDef, SubmissionDef.id == SdgTag.submission_def_id)
        .join(Submission, Submission.id == SubmissionDef.submission_id)
        .join(Form, Form.id == Submission.form_id)
        .where(*_current_of_project(project_id)).group_by(SdgTag.goal))
    found = {goal: (form, model, texts) for goal, form, model, texts in rows}
    return [{"goal": g, "form": int(found.get(g, (0, 0, 0))[0]),
             "model": int(found.get(g, (0, 0, 0))[1]),
             "texts": int(found.get(g, (0, 0, 0))[2])} for g in range(1, 18)]


@dataclass(frozen=True)
class Candidates:
    """One page of quote candidates; `more`: the page was full, older answers may follow
    (at `offset + limit`; a page can hold fewer items than its limit, personal answers being
    left out after the query)."""

    items: list[dict[str, Any]]
    more: bool


def quote_candidates(project_id: int, goal: int, limit: int = 50, offset: int = 0,
                     answer: tuple[str, str, str] | None = None) -> Candidates:
    """Free-text answers the classifier tied to `goal`, newest first, for a manager to pick
    from (staff only: free text can name people); `answer` (form, instanceId, field): that
    one answer only. An answer to a question that is personal data
    (app.services.personal_data: marked or guessed) in the version it was given in, or in
    the form's current version, is never offered (and so never approved)."""
    query = (
        select(Submission.id, Submission.instance_id, Form.xml_form_id, SdgTag.field,
               SdgTag.score, CleanedRecord.record, SubmissionDef.form_version_id,
               Form.current_version_id)
        .join(SubmissionDef, SubmissionDef.id == SdgTag.submission_def_id)
        .join(Submission, Submission.id == SubmissionDef.submission_id)
        .join(Form, Form.id == Submission.form_id)
        .join(CleanedRecord, CleanedRecord.submission_def_id == SubmissionDef.id)
        .where(*_current_of_project(project_id), SdgTag.goal == goal,
               SdgTag.source == "model", SdgTag.field != ""))
    if answer is not None:
        form, instance_id, field = answer
        query = query.where(Form.xml_form_id == form, Submission.instance_id == instance_id,
                            SdgTag.field == field)
    rows = db.session.execute(query.order_by(Submission.id.desc(), SdgTag.field)
                              .limit(limit).offset(offset)).all()
    personal: dict[int, frozenset[str]] = {}
    out = []
    for submission_id, instance_id, form, field, score, record, version, current in rows:
        if any(field in _personal_paths(v, personal) for v in (version, current) if v):
            continue
        text = answer_text(record, field)
        if text:
            out.append({"submissionId": submission_id, "instanceId": instance_id,
                        "form": form, "field": field, "goal": goal,
                        "score": round(float(score), 3), "text": text})
    return Candidates(out, more=len(rows) == limit)


def _personal_paths(version_id: int, seen: dict[int, frozenset[str]]) -> frozenset[str]:
    """The personal fields of a form version, as local paths (what tags and records name)."""
    if version_id not in seen:
        from app.queries import form_models
        from app.services import personal_data

        sha256 = db.session.scalar(select(FormVersion.sha256).where(
            FormVersion.id == version_id))
        seen[version_id] = personal_data.local_paths(form_models.model(
            sha256, form_models.xml_of(version_id))) if sha256 else frozenset()
    return seen[version_id]


def answer_text(record: dict, field: str) -> str | None:
    """The text answer at a tag's field path in a cleaned record (first one in repeats)."""
    from app.pipeline.clean import iter_values

    for path, value in iter_values(record or {}):
        if path == field and isinstance(value, str) and value.strip():
            return value.strip()
    return None


def approve_quote(project_id: int, body: dict[str, Any], actor_id: int | None
                  ) -> ApprovedQuote:
    """A manager approves one tagged answer (its text, or a shortened/redacted version)."""
    for name in ("form", "instanceId", "field", "goal"):
        if body.get(name) in (None, ""):
            raise problems.missing_parameter(name)
    goal = body["goal"]
    if not isinstance(goal, int) or isinstance(goal, bool) or not 1 <= goal <= 17:
        raise problems.unexpected_value("goal", goal, "a goal 1-17")
    found = next(iter(quote_candidates(project_id, goal, limit=1, answer=(
        str(body["form"]), str(body["instanceId"]), str(body["field"]))).items), None)
    if found is None:
        raise problems.unexpected_value("field", body["field"], "no answer of this submission "
                                        "is tagged with that goal by the classifier")
    text = body.get("text", found["text"])
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_QUOTE:
        raise problems.unexpected_value("text", text, f"1-{MAX_QUOTE} characters")
    quote = ApprovedQuote(project_id=project_id, submission_id=found["submissionId"],
                          field=found["field"], goal=goal, text=text.strip(),
                          approved_by=actor_id, approved_at=utcnow())
    db.session.add(quote)
    db.session.flush()
    return quote


def withdraw_quote(project_id: int, quote_id: int) -> None:
    """Take an approved quote off the dashboard (404 when it is not this project's)."""
    quote = db.session.get(ApprovedQuote, quote_id)
    if quote is None or quote.project_id != project_id:
        raise problems.not_found()
    db.session.delete(quote)
    db.session.flush()


def quotes(project_id: int, goal: int | None = None) -> list[ApprovedQuote]:
    query = select(ApprovedQuote).where(ApprovedQuote.project_id == project_id)
    if goal is not None:
        query = query.where(ApprovedQuote.goal == goal)
    return list(db.session.scalars(query.order_by(ApprovedQuote.goal, ApprovedQuote.id)))


def save_boundaries(project_id: int, data: bytes, match: str | None) -> AreaBoundaries:
    """A GeoJSON FeatureCollection of (Multi)Polygons, each naming its area in `match`."""
    if not match:
        raise problems.missing_parameter("match")
    if len(data) > MAX_BOUNDARY_BYTES:
        raise problems.too_large(MAX_BOUNDARY_BYTES)
    try:
        geojson = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise problems.unparseable("GeoJSON", len(data)) from None
    if not isinstance(geojson, dict) or geojson.get("type") != "FeatureCollection" or \
            not isinstance(geojson.get("features"), list) or not geojson["features"]:
        raise problems.unexpected_value("type", geojson.get("type") if isinstance(
            geojson, dict) else None, "a GeoJSON FeatureCollection with features")
    for number, feature in enumerate(geojson["features"]):
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        if not isinstance(geometry, dict) or geometry.get("type") not in _SHAPES:
            raise problems.unexpected_value(f"features[{number}].geometry", None,
                                            "areas are Polygon or MultiPolygon")
        properties = feature.get("properties") or {}
        if properties.get(match) in (None, ""):
            raise problems.unexpected_value(f"features[{number}].properties.{match}", None,
                                            f"every area needs its {match}")
    row = db.session.scalar(select(AreaBoundaries).where(
        AreaBoundaries.project_id == project_id))
    if row is None:
        row = AreaBoundaries(project_id=project_id)
        db.session.add(row)
    row.match, row.geojson, row.uploaded_at = match, geojson, utcnow()
    db.session.flush()
    return row


def boundaries(project_id: int) -> AreaBoundaries | None:
    return db.session.scalar(select(AreaBoundaries).where(
        AreaBoundaries.project_id == project_id))

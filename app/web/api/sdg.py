"""SDG tags of a submission, the free-text classifier, re-processing and failed pipeline jobs."""
from __future__ import annotations

from flask import jsonify
from sqlalchemy import select

from app import problems, queues
from app.extensions import db
from app.models import Form, SdgTag, Submission, SubmissionDef
from app.pipeline import dispatch, reprocess, retry, tagging
from app.pipeline.status import version_status
from app.queries import submissions as submission_queries
from app.services import forms as form_service
from app.web.api.blueprint import api
from app.web.api.common import json_body, listing
from app.web.auth import current_principal, require, require_form

SUBMISSIONS = "/projects/<int:project_id>/forms/<xml_form_id>/submissions"
MAX_TEXT = 20_000


def _form(project_id: int, xml_form_id: str, verb: str) -> Form:
    form = form_service.get_form(project_id, xml_form_id)
    if form is None:
        raise problems.not_found()
    require_form(verb, project_id, form.id)
    return form


def _current_def(form: Form, instance_id: str) -> SubmissionDef:
    found = db.session.scalar(select(SubmissionDef).join(Submission).where(
        Submission.form_id == form.id, Submission.instance_id == instance_id,
        Submission.deleted_at.is_(None), SubmissionDef.current.is_(True)))
    if found is None:
        raise problems.not_found()
    return found


def tag_json(tag: SdgTag) -> dict:
    return {"goal": tag.goal, "target": tag.target or None, "indicator": tag.indicator or None,
            "source": tag.source, "score": tag.score, "field": tag.field or None,
            "version": tag.version}


@api.get(f"{SUBMISSIONS}/<instance_id>/sdg-tags")
def submission_sdg_tags(project_id: int, xml_form_id: str, instance_id: str):
    """The SDG tags of a submission's current version: mapping tags first, then suggestions."""
    form = _form(project_id, xml_form_id, "submission.read")
    current = _current_def(form, instance_id)
    return listing([tag_json(t) for t in submission_queries.sdg_tags(current.id)])


@api.get(f"{SUBMISSIONS}/<instance_id>/pipeline")
def submission_pipeline_status(project_id: int, xml_form_id: str, instance_id: str):
    """Where the current version stands in the pipeline: processed, pending, failing (with
    its error) or quarantined (a poison submission, with the reason)."""
    form = _form(project_id, xml_form_id, "submission.read")
    return jsonify(version_status(_current_def(form, instance_id).id))


@api.post("/sdg/classify")
def classify():
    """Goals a text speaks to, best first, above the model's threshold; any logged-in caller."""
    current_principal()
    body = json_body("text")
    text, lang = body["text"], body.get("lang")
    if not isinstance(text, str):
        raise problems.unexpected_value("text", type(text).__name__, "must be a string")
    if len(text) > MAX_TEXT:
        raise problems.unexpected_value("text", len(text), f"at most {MAX_TEXT} characters")
    if lang is not None and not isinstance(lang, str):
        raise problems.unexpected_value("lang", lang, "must be a language code like 'sw'")
    try:
        classifier = tagging.get_classifier()
    except ImportError:
        raise problems.not_implemented("SDG classification") from None
    scores = sorted(classifier.classify(text, lang=lang or None), key=lambda s: -s.score)
    return jsonify({"goals": [{"goal": int(s.goal), "score": round(float(s.score), 4)}
                              for s in scores], "version": classifier.version})


def _reprocess(def_ids: list[int]):
    outbox_ids = reprocess.request(def_ids)
    dispatch.after_commit(outbox_ids)
    return jsonify({"count": len(def_ids),
                    "mode": "queued" if queues.redis_url() else "inline"})


@api.post(f"{SUBMISSIONS}/<instance_id>/reprocess")
def reprocess_submission(project_id: int, xml_form_id: str, instance_id: str):
    """Re-run cleaning and tagging for one submission (managers)."""
    form = _form(project_id, xml_form_id, "submission.update")
    return _reprocess([_current_def(form, instance_id).id])


@api.post("/projects/<int:project_id>/forms/<xml_form_id>/reprocess")
def reprocess_form(project_id: int, xml_form_id: str):
    """Re-run cleaning and tagging for every submission of a form (managers)."""
    form = _form(project_id, xml_form_id, "submission.update")
    return _reprocess(reprocess.select_defs(project_id=project_id, form_id=form.id))


@api.get("/pipeline/failed")
def pipeline_failed():
    """Jobs that failed their last retry (site admins)."""
    require("pipeline.admin")
    return listing(retry.failed_jobs())


@api.post("/pipeline/failed/retry")
def pipeline_retry_failed():
    """Send every failed job round again (site admins)."""
    require("pipeline.admin")
    return jsonify({"count": retry.retry_failed()})

"""The JSON body of a webhook event, built from the database when it is sent.

Phone answers are always the pipeline's keyed hash, even in projects that keep clear numbers,
and in the raw XML too when it is included: webhooks never carry a citizen's number.
"""
from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import defer

from app.extensions import db
from app.models import (
    CleanedRecord,
    Form,
    FormVersion,
    Project,
    SdgTag,
    Submission,
    SubmissionDef,
    Webhook,
    WebhookDelivery,
)
from app.models.base import iso
from app.services import personal_data
from sync.schema import schema_for


class Gone(LookupError):
    """The submission (version) the delivery is about no longer exists."""


def body(delivery: WebhookDelivery, webhook: Webhook) -> bytes:
    """The exact bytes sent (and signed): compact JSON, keys sorted, UTF-8."""
    return json.dumps(build(delivery, webhook), ensure_ascii=False, sort_keys=True,
                      separators=(",", ":")).encode("utf-8")


def build(delivery: WebhookDelivery, webhook: Webhook) -> dict[str, Any]:
    submission = db.session.get(Submission, delivery.submission_id) \
        if delivery.submission_id is not None else None
    version = db.session.get(SubmissionDef, delivery.submission_def_id) \
        if delivery.submission_def_id is not None else None
    if submission is None or version is None or submission.deleted_at is not None:
        raise Gone("the submission was deleted")
    form = db.session.get(Form, submission.form_id)
    form_version = db.session.get(FormVersion, version.form_version_id,
                                  options=[defer(FormVersion.xlsform)])
    project = db.session.get(Project, form.project_id)
    phones = phone_paths(form_version)
    mask = personal_data.masker()
    cleaned = db.session.scalar(select(CleanedRecord).where(
        CleanedRecord.submission_def_id == version.id))
    tags = db.session.scalars(select(SdgTag).where(SdgTag.submission_def_id == version.id)
                              .order_by(SdgTag.goal, SdgTag.target, SdgTag.id))
    details = delivery.details or {}
    out: dict[str, Any] = {
        "event": delivery.event,
        "deliveryId": delivery.guid,
        "projectId": project.id,
        "xmlFormId": form.xml_form_id,
        "formVersion": form_version.version,
        "instanceId": version.instance_id,
        "rootInstanceId": submission.instance_id,
        "deprecatedId": version.deprecated_id,
        "instanceName": version.instance_name,
        "submitterId": version.submitter_id,
        "deviceId": version.device_id,
        "channel": submission.channel,
        "reviewState": details.get("reviewState", submission.review_state),
        "submissionCreatedAt": iso(submission.created_at),
        "versionCreatedAt": iso(version.created_at),
        "occurredAt": iso(delivery.created_at),
        "record": mask_record(cleaned.record, phones, mask) if cleaned else None,
        "flags": mask_flags(cleaned.flags, phones, mask) if cleaned else [],
        "processedAt": iso(cleaned.processed_at) if cleaned else None,
        "pipelineVersion": cleaned.pipeline_version if cleaned else None,
        "sdgTags": [{"goal": t.goal, "target": t.target or None,
                     "indicator": t.indicator or None, "source": t.source,
                     "score": t.score, "field": t.field or None} for t in tags],
    }
    if delivery.event == "submission.reviewed":
        out["previousReviewState"] = details.get("previousReviewState")
        out["reviewerId"] = details.get("actorId")
    if webhook.include_xml:
        out["xml"] = personal_data.mask_xml(version.xml, phones, mask)
    return out


def phone_paths(form_version: FormVersion) -> frozenset[str]:
    """Instance paths (namespace prefixes dropped) of the form's personal fields (phone
    numbers and other personal data: app.services.personal_data)."""
    model = schema_for(form_version.sha256, lambda: form_version.xml).model
    return personal_data.local_paths(model)


def mask_record(record: dict[str, Any], phones: frozenset[str], mask) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for path, value in record.items():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            out[path] = [mask_record(item, phones, mask) for item in value]
        elif path in phones and isinstance(value, str):
            out[path] = mask(value)
        else:
            out[path] = value
    return out


def mask_flags(flags: list[dict[str, Any]], phones: frozenset[str], mask) -> list[dict[str, Any]]:
    out = []
    for flag in flags or []:
        if flag.get("field") in phones and isinstance(flag.get("value"), str):
            flag = {**flag, "value": mask(flag["value"])}
        out.append(flag)
    return out

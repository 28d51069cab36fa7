"""The JSON body of a webhook event, built from the database when it is sent.

Phone answers are always the pipeline's keyed hash, even in projects that keep clear numbers,
and in the raw XML too when it is included: webhooks never carry a citizen's number.
"""
from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree

import phonenumbers
from defusedxml.ElementTree import fromstring
from flask import current_app
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
from app.pipeline.clean import hash_phone
from app.pipeline.fields import FieldSpec, local_path
from sync.schema import schema_for

HASH_PREFIX = "hmac-sha256:"


def iso(value: datetime | None) -> str | None:
    """As the API writes timestamps (app.web.api.common.iso), without importing the web layer."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


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
    key = _hash_key()
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
        "record": mask_record(cleaned.record, phones, key) if cleaned else None,
        "flags": mask_flags(cleaned.flags, phones, key) if cleaned else [],
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
        out["xml"] = mask_xml(version.xml, phones, key)
    return out


def phone_paths(form_version: FormVersion) -> frozenset[str]:
    """Instance paths (namespace prefixes dropped) whose answers are phone numbers: what the
    pipeline treats as one, and the `phonenumber` device metadata."""
    model = schema_for(form_version.sha256, lambda: form_version.xml).model
    out = set()
    for f in model.fields:
        path = local_path(f.path)
        spec = FieldSpec(path, (f.type or "string").rsplit(":", 1)[-1], f.control,
                         False, None, False)
        if spec.is_phone or (f.preload and f.preload[1] == "phonenumber"):
            out.add(path)
    return frozenset(out)


def _hash_key() -> bytes:
    # The pipeline's key (app.pipeline.jobs), so our hashes match the cleaned records'.
    key = current_app.config.get("PHONE_HASH_KEY") or current_app.config["SECRET_KEY"]
    return str(key).encode("utf-8")


def hash_number(text: str, key: bytes) -> str:
    """The pipeline's hash of a number: of its E.164 form when it parses, else of the text."""
    if text.startswith(HASH_PREFIX):
        return text
    try:
        number = phonenumbers.parse(text, None)
        if phonenumbers.is_valid_number(number):
            text = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    except phonenumbers.NumberParseException:
        pass
    return hash_phone(key, text)


def mask_record(record: dict[str, Any], phones: frozenset[str], key: bytes) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for path, value in record.items():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            out[path] = [mask_record(item, phones, key) for item in value]
        elif path in phones and isinstance(value, str):
            out[path] = hash_number(value, key)
        else:
            out[path] = value
    return out


def mask_flags(flags: list[dict[str, Any]], phones: frozenset[str],
               key: bytes) -> list[dict[str, Any]]:
    out = []
    for flag in flags or []:
        if flag.get("field") in phones and isinstance(flag.get("value"), str):
            flag = {**flag, "value": hash_number(flag["value"], key)}
        out.append(flag)
    return out


def mask_xml(xml: str, phones: frozenset[str], key: bytes) -> str:
    """The instance XML as sent, except that phone answers are replaced by their hash; byte
    for byte the original when it holds no phone answer."""
    if not phones:
        return xml
    root = fromstring(xml.encode("utf-8"), forbid_dtd=True)
    changed = False

    def walk(node, path: str) -> None:
        nonlocal changed
        for child in node:
            child_path = local_path(f"{path}/{_local(child.tag)}")
            if len(child):
                walk(child, child_path)
            elif child_path in phones and (child.text or "").strip():
                child.text = hash_number(child.text.strip(), key)
                changed = True

    walk(root, f"/{_local(root.tag)}")
    if not changed:
        return xml
    default = None
    for prefix, uri in _namespaces(xml):
        if prefix:
            ElementTree.register_namespace(prefix, uri)
        else:
            default = uri
    return ElementTree.tostring(root, encoding="unicode", default_namespace=default)


def _namespaces(xml: str) -> list[tuple[str, str]]:
    """The document's own prefixes, so the re-serialised XML keeps them (jr:, orx:...)."""
    import io

    seen = []
    for _event, (prefix, uri) in ElementTree.iterparse(io.StringIO(xml), events=("start-ns",)):
        seen.append((prefix, uri))
    return seen


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1]

"""Each fixed set of statuses is one StrEnum; what else spells it must agree with it.

The enums are the one declaration. This checks the places that cannot import them or repeat
them by necessity: model column defaults and widths, the partial index on active
conversations (SQL text), the OpenAPI document's enum lists, the allowed-value sets used for
validation, the SMS status ranking, the UI's state labels and the templates' status
comparisons. No database needed.
"""
from __future__ import annotations

import json
import re
from enum import StrEnum
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import Column, String

import app as app_package
from app.models import (
    DeliveryStatus,
    ErasureRequest,
    ErasureStatus,
    ExportJob,
    ExportStatus,
    Form,
    FormState,
    SentState,
    Submission,
    SyncSent,
    WebhookDelivery,
)
from app.models.indicators import IndicatorCell, IndicatorContribution
from app.models.messaging import Conversation, Message
from app.queries.pipeline_health import PipelineState
from app.web.openapi import document
from forms.review import REVIEWABLE, ReviewState
from sms_flows.types import STATUS_RANK, ConversationStatus, MessageStatus

# (status column, its enum, the default a new row gets or None)
COLUMNS: list[tuple[Any, type[StrEnum], str | None]] = [
    (Submission.review_state, ReviewState, None),
    (IndicatorContribution.review_state, ReviewState, None),
    (IndicatorCell.review_state, ReviewState, None),
    (Form.state, FormState, FormState.OPEN),
    (ExportJob.status, ExportStatus, ExportStatus.QUEUED),
    (WebhookDelivery.status, DeliveryStatus, DeliveryStatus.PENDING),
    (Conversation.status, ConversationStatus, ConversationStatus.ACTIVE),
    (Message.status, MessageStatus, None),
    (ErasureRequest.status, ErasureStatus, ErasureStatus.PENDING),
    (SyncSent.state, SentState, None),
]
ENUMS = sorted({enum for _, enum, _ in COLUMNS}, key=lambda e: e.__name__)


def _column(attribute: Any) -> Column:
    return attribute.property.columns[0]


@pytest.mark.parametrize("attribute, enum, default", COLUMNS,
                         ids=[str(a) for a, _, _ in COLUMNS])
def test_a_status_column_holds_every_value_and_defaults_to_a_member(attribute, enum, default):
    column = _column(attribute)
    assert isinstance(column.type, String)
    longest = max(enum, key=len)
    assert len(longest) <= column.type.length, f"{longest!r} does not fit {column}"
    stated = column.default.arg if column.default is not None else None
    assert stated == default
    if stated is not None:
        assert stated in set(enum)


def test_the_one_active_conversation_index_names_the_active_status():
    (index,) = [i for i in Conversation.__table__.indexes if i.name == "uq_conversations_active"]
    for where in (index.dialect_options["sqlite"]["where"],
                  index.dialect_options["postgresql"]["where"]):
        assert str(where) == f"status = '{ConversationStatus.ACTIVE}'"


@pytest.mark.parametrize("enum", ENUMS, ids=lambda e: e.__name__)
def test_members_are_their_values_in_json(enum):
    for member in enum:
        assert member == member.value and str(member) == member.value
        assert json.dumps(member) == orjson.dumps(member).decode() == f'"{member.value}"'


def test_every_message_status_has_a_rank():
    assert set(STATUS_RANK) == set(MessageStatus)


def _schema(path: str, method: str | None, name: str) -> dict[str, Any]:
    """The schema of a query parameter `name`, or of the JSON body's property `name`."""
    item = document()["paths"][path]
    if method is None:
        return next(p["schema"] for p in item["parameters"] if p.get("name") == name)
    body = item[method]["requestBody"]["content"]["application/json"]["schema"]
    return body["properties"][name]


@pytest.mark.parametrize("path, method, name, values", [
    ("/projects/{projectId}/erasure-requests", None, "status", list(ErasureStatus)),
    ("/projects/{projectId}/conversations", None, "status", list(ConversationStatus)),
    ("/projects/{projectId}/forms/{xmlFormId}/webhooks/{webhookId}/deliveries", None, "status",
     list(DeliveryStatus)),
    ("/projects/{projectId}/forms/{xmlFormId}", "patch", "state", list(FormState)),
    ("/projects/{projectId}/forms/{xmlFormId}/submissions/{instanceId}", "patch",
     "reviewState", list(REVIEWABLE)),
])
def test_the_openapi_document_lists_each_enum_s_values(path, method, name, values):
    assert _schema(path, method, name)["enum"] == values


def test_the_openapi_indicator_review_states_are_every_review_state():
    spec = document()["components"]["schemas"]["Indicator"]["properties"]["reviewStates"]
    assert spec["items"]["enum"] == list(ReviewState)


def test_reviewable_is_every_review_state_a_reviewer_may_set():
    assert REVIEWABLE == tuple(s for s in ReviewState if s != ReviewState.RECEIVED)


def test_the_ui_names_every_review_and_form_state(tmp_path):
    from app import create_app
    from app.web.ui.i18n import state_names

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://",
                      "STORAGE_DIR": str(tmp_path), "SECRET_KEY": "t"})
    with app.test_request_context("/"):
        names = state_names()
    assert set(ReviewState) | set(FormState) <= set(names)


# Templates compare statuses as Jinja literals: each must still be a value of its enum.
TEMPLATES = {"erasure_requests.html": ErasureStatus, "form.html": FormState,
             "_download_row.html": ExportStatus, "_pipeline_rows.html": PipelineState,
             "submission.html": PipelineState}
_COMPARED = re.compile(r"\.(?:status|state) *(?:==|!=|in) *(\([^)]*\)|'[^']*'|\"[^\"]*\")")


@pytest.mark.parametrize("name, enum", TEMPLATES.items(), ids=list(TEMPLATES))
def test_template_status_literals_are_values_of_their_enum(name, enum):
    text = (Path(app_package.__file__).parent / "web/ui/templates/ui" / name).read_text()
    found = {literal for group in _COMPARED.findall(text)
             for literal in re.findall(r"['\"]([^'\"]+)['\"]", group)}
    assert found, f"{name}: no status comparison found (update this test)"
    assert found <= set(enum), f"{name} compares with {sorted(found - set(enum))}"

"""All models, imported once so metadata is complete (Alembic and tests read it)."""
from app.models.actors import (
    PROJECT_ROLES,
    Actor,
    AppUser,
    FormAssignment,
    LoginAttempt,
    ProjectRole,
    Session,
    User,
)
from app.models.export_jobs import EXPORT_JOB_STATES, ExportJob
from app.models.forms import FORM_STATES, Blob, Form, FormAttachment, FormVersion
from app.models.indicators import (
    DIMENSION_COLUMNS,
    INDICATOR_SOURCES,
    ApprovedQuote,
    AreaBoundaries,
    Indicator,
    IndicatorCell,
    IndicatorContribution,
    OfficialSeries,
    PublicDashboard,
)
from app.models.messaging import (
    CHANNEL_KINDS,
    CHANNEL_PROVIDERS,
    ERASURE_STATES,
    Channel,
    Contact,
    Conversation,
    ErasureRequest,
    Message,
)
from app.models.pipeline import TAG_SOURCES, CleanedRecord, SdgTag
from app.models.projects import Project
from app.models.submissions import (
    CHANNELS,
    REVIEW_STATES,
    Audit,
    Comment,
    PipelineOutbox,
    Submission,
    SubmissionAttachment,
    SubmissionDef,
)
from app.models.sync import (
    CONFLICT_REASONS,
    RESOLUTIONS,
    SENT_STATES,
    SYNC_DIALECTS,
    SyncConflict,
    SyncId,
    SyncLink,
    SyncPeer,
    SyncSent,
)
from app.models.webhooks import DELIVERY_STATES, WEBHOOK_EVENTS, Webhook, WebhookDelivery

__all__ = [
    "PROJECT_ROLES", "FORM_STATES", "CHANNELS", "REVIEW_STATES",
    "Actor", "AppUser", "FormAssignment", "LoginAttempt", "ProjectRole", "Session", "User",
    "Blob", "Form", "FormAttachment", "FormVersion", "Project",
    "Audit", "Comment", "PipelineOutbox", "Submission", "SubmissionAttachment", "SubmissionDef",
    "TAG_SOURCES", "CleanedRecord", "SdgTag",
    "EXPORT_JOB_STATES", "ExportJob",
    "CHANNEL_KINDS", "CHANNEL_PROVIDERS", "ERASURE_STATES", "Channel", "Contact", "Conversation",
    "ErasureRequest", "Message",
    "DELIVERY_STATES", "WEBHOOK_EVENTS", "Webhook", "WebhookDelivery",
    "DIMENSION_COLUMNS", "INDICATOR_SOURCES", "ApprovedQuote", "AreaBoundaries", "Indicator",
    "IndicatorCell", "IndicatorContribution", "OfficialSeries", "PublicDashboard",
    "SYNC_DIALECTS", "SENT_STATES", "CONFLICT_REASONS", "RESOLUTIONS",
    "SyncConflict", "SyncId", "SyncLink", "SyncPeer", "SyncSent",
]

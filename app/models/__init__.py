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
from app.models.export_jobs import EXPORT_JOB_STATES, ExportJob, ExportStatus
from app.models.forms import FORM_STATES, Blob, Form, FormAttachment, FormState, FormVersion
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
    ErasureStatus,
    Message,
)
from app.models.pipeline import TAG_SOURCES, CleanedRecord, SdgTag
from app.models.projects import Project
from app.models.submissions import (
    CHANNELS,
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
    SentState,
    SyncConflict,
    SyncId,
    SyncLink,
    SyncPeer,
    SyncSent,
)
from app.models.webhooks import (
    DELIVERY_STATES,
    WEBHOOK_EVENTS,
    DeliveryStatus,
    Webhook,
    WebhookDelivery,
)
from forms.review import REVIEW_STATES, ReviewState

__all__ = [
    "PROJECT_ROLES", "FORM_STATES", "FormState", "CHANNELS", "REVIEW_STATES", "ReviewState",
    "Actor", "AppUser", "FormAssignment", "LoginAttempt", "ProjectRole", "Session", "User",
    "Blob", "Form", "FormAttachment", "FormVersion", "Project",
    "Audit", "Comment", "PipelineOutbox", "Submission", "SubmissionAttachment", "SubmissionDef",
    "TAG_SOURCES", "CleanedRecord", "SdgTag",
    "EXPORT_JOB_STATES", "ExportJob", "ExportStatus",
    "CHANNEL_KINDS", "CHANNEL_PROVIDERS", "ERASURE_STATES", "ErasureStatus", "Channel",
    "Contact", "Conversation", "ErasureRequest", "Message",
    "DELIVERY_STATES", "DeliveryStatus", "WEBHOOK_EVENTS", "Webhook", "WebhookDelivery",
    "DIMENSION_COLUMNS", "INDICATOR_SOURCES", "ApprovedQuote", "AreaBoundaries", "Indicator",
    "IndicatorCell", "IndicatorContribution", "OfficialSeries", "PublicDashboard",
    "SYNC_DIALECTS", "SENT_STATES", "SentState", "CONFLICT_REASONS", "RESOLUTIONS",
    "SyncConflict", "SyncId", "SyncLink", "SyncPeer", "SyncSent",
]

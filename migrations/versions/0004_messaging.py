"""SMS and USSD: channels, contacts, conversations, messages.

A channel binds a provider account and address to a project (credentials and the callback
secret encrypted). Contacts keep a citizen's number only as a keyed hash plus an encrypted
copy. Inbound messages are deduplicated by (channel, direction, provider id) because providers
retry; at most one conversation per person and channel is active (partial unique index), and
conversations carry a version column so that two workers never both advance one.

Revision ID: 0004_messaging
Revises: 0003_pipeline_results
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

from migrations.helpers import (
    JSON,
    TS,
    create_index,
    create_partial_unique_index,
    create_table,
    fk,
    unique,
)

revision = "0004_messaging"
down_revision = "0003_pipeline_results"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_table(
        "channels",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("credentials", sa.Text(), nullable=True),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("settings", JSON, nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=True),
        sa.Column("deleted_at", TS, nullable=True),
        fk("channels", "created_by", "actors"),
        fk("channels", "project_id", "projects"),
    )
    create_index("channels", "project_id")
    create_table(
        "contacts",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("phone_hash", sa.String(length=64), nullable=False),
        sa.Column("phone_encrypted", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=32), nullable=True),
        sa.Column("opted_out_at", TS, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=True),
        fk("contacts", "project_id", "projects"),
        unique("contacts", "project_id", "phone_hash"),
    )
    create_table(
        "conversations",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("form_id", sa.Integer(), nullable=True),
        sa.Column("form_version_id", sa.Integer(), nullable=True),
        sa.Column("medium", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("language", sa.String(length=32), nullable=True),
        sa.Column("session_key", sa.String(length=255), nullable=True),
        sa.Column("state", JSON, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("last_activity_at", TS, nullable=False),
        sa.Column("completed_at", TS, nullable=True),
        sa.Column("instance_xml", sa.Text(), nullable=True),
        sa.Column("instance_id", sa.String(length=255), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        fk("conversations", "channel_id", "channels"),
        fk("conversations", "contact_id", "contacts"),
        fk("conversations", "form_id", "forms"),
        fk("conversations", "form_version_id", "form_versions"),
        fk("conversations", "project_id", "projects"),
    )
    create_index("conversations", "channel_id")
    create_index("conversations", "contact_id")
    create_index("conversations", "project_id")
    create_partial_unique_index(
        "uq_conversations_active",
        "conversations",
        ["channel_id", "contact_id"],
        "status = 'active'",
    )
    create_table(
        "messages",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=True),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("provider_status", sa.String(length=64), nullable=True),
        sa.Column("provider_message_id", sa.String(length=255), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("sent_at", TS, nullable=True),
        sa.Column("status_at", TS, nullable=True),
        fk("messages", "channel_id", "channels"),
        fk("messages", "contact_id", "contacts"),
        fk("messages", "conversation_id", "conversations"),
        fk("messages", "project_id", "projects"),
        unique("messages", "channel_id", "direction", "provider_message_id"),
    )
    create_index("messages", "contact_id")
    create_index("messages", "conversation_id")
    create_index("messages", "project_id")


def downgrade() -> None:
    op.drop_table("messages")
    op.drop_index("uq_conversations_active", table_name="conversations")
    op.drop_table("conversations")
    op.drop_table("contacts")
    op.drop_table("channels")

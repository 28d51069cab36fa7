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
from sqlalchemy.dialects import postgresql

revision = "0004_messaging"
down_revision = "0003_pipeline_results"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "channels",
        sa.Column("id", sa.Integer(), nullable=False),
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
        sa.ForeignKeyConstraint(["created_by"], ["actors.id"],
                                name=op.f("fk_channels_created_by_actors")),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"],
                                name=op.f("fk_channels_project_id_projects")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channels")),
    )
    op.create_index(op.f("ix_channels_project_id"), "channels", ["project_id"], unique=False)
    op.create_table(
        "contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("phone_hash", sa.String(length=64), nullable=False),
        sa.Column("phone_encrypted", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=32), nullable=True),
        sa.Column("opted_out_at", TS, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=True),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"],
                                name=op.f("fk_contacts_project_id_projects")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts")),
        sa.UniqueConstraint("project_id", "phone_hash",
                            name=op.f("uq_contacts_project_id_phone_hash")),
    )
    op.create_table(
        "conversations",
        sa.Column("id", sa.Integer(), nullable=False),
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
        sa.ForeignKeyConstraint(["channel_id"], ["channels.id"],
                                name=op.f("fk_conversations_channel_id_channels")),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"],
                                name=op.f("fk_conversations_contact_id_contacts")),
        sa.ForeignKeyConstraint(["form_id"], ["forms.id"],
                                name=op.f("fk_conversations_form_id_forms")),
        sa.ForeignKeyConstraint(["form_version_id"], ["form_versions.id"],
                                name=op.f("fk_conversations_form_version_id_form_versions")),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"],
                                name=op.f("fk_conversations_project_id_projects")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversations")),
    )
    op.create_index(op.f("ix_conversations_channel_id"), "conversations", ["channel_id"],
                    unique=False)
    op.create_index(op.f("ix_conversations_contact_id"), "conversations", ["contact_id"],
                    unique=False)
    op.create_index(op.f("ix_conversations_project_id"), "conversations", ["project_id"],
                    unique=False)
    op.create_index(
        "uq_conversations_active", "conversations", ["channel_id", "contact_id"], unique=True,
        sqlite_where=sa.text("status = 'active'"),
        postgresql_where=sa.text("status = 'active'"),
    )
    op.create_table(
        "messages",
        sa.Column("id", sa.Integer(), nullable=False),
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
        sa.ForeignKeyConstraint(["channel_id"], ["channels.id"],
                                name=op.f("fk_messages_channel_id_channels")),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"],
                                name=op.f("fk_messages_contact_id_contacts")),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"],
                                name=op.f("fk_messages_conversation_id_conversations")),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"],
                                name=op.f("fk_messages_project_id_projects")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
        sa.UniqueConstraint("channel_id", "direction", "provider_message_id",
                            name=op.f("uq_messages_channel_id_direction_provider_message_id")),
    )
    op.create_index(op.f("ix_messages_contact_id"), "messages", ["contact_id"], unique=False)
    op.create_index(op.f("ix_messages_conversation_id"), "messages", ["conversation_id"],
                    unique=False)
    op.create_index(op.f("ix_messages_project_id"), "messages", ["project_id"], unique=False)


def downgrade() -> None:
    op.drop_table("messages")
    op.drop_index("uq_conversations_active", table_name="conversations")
    op.drop_table("conversations")
    op.drop_table("contacts")
    op.drop_table("channels")

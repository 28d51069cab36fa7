"""Outbound webhooks and their delivery log.

A webhook belongs to a form; its signing secret is stored encrypted. Each event sent to a
webhook is one delivery row (attempts, last answer, delivered time); created/updated events
carry a dedupe key unique per webhook, so a pipeline re-run never sends a version twice.

Revision ID: 0006_webhooks
Revises: 0005_export_indexes
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

from migrations.helpers import JSON, TS, create_index, create_table, drop_index, fk, unique

revision = "0006_webhooks"
down_revision = "0005_export_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_table(
        "webhooks",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("form_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("include_xml", sa.Boolean(), nullable=False),
        sa.Column("events", JSON, nullable=False),
        sa.Column("allow_private", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("deleted_at", TS, nullable=True),
        fk("webhooks", "created_by", "actors"),
        fk("webhooks", "form_id", "forms"),
        fk("webhooks", "project_id", "projects"),
    )
    create_index("webhooks", "form_id")
    create_table(
        "webhook_deliveries",
        sa.Column("webhook_id", sa.Integer(), nullable=False),
        sa.Column("guid", sa.String(length=36), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("dedupe_key", sa.String(length=64), nullable=True),
        sa.Column("submission_id", sa.Integer(), nullable=True),
        sa.Column("submission_def_id", sa.Integer(), nullable=True),
        sa.Column("details", JSON, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("response_ms", sa.Integer(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("last_attempt_at", TS, nullable=True),
        sa.Column("delivered_at", TS, nullable=True),
        fk("webhook_deliveries", "submission_def_id", "submission_defs"),
        fk("webhook_deliveries", "submission_id", "submissions"),
        fk("webhook_deliveries", "webhook_id", "webhooks"),
        unique("webhook_deliveries", "guid"),
        unique("webhook_deliveries", "webhook_id", "dedupe_key"),
    )


def downgrade() -> None:
    op.drop_table("webhook_deliveries")
    drop_index("webhooks", "form_id")
    op.drop_table("webhooks")

"""Large exports run as background jobs: one row per requested export file.

An export over EXPORT_ASYNC_ROWS submissions (or asked for with ?async=true) is written to
STORAGE_DIR/exports/ by an RQ job; the row holds its spec (JSON), progress and the file's name
until it expires.

Revision ID: 0007_export_jobs
Revises: 0006_webhooks
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

from migrations.helpers import JSON, TS, create_index, create_table, drop_index, fk

revision = "0007_export_jobs"
down_revision = "0006_webhooks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_table(
        "export_jobs",
        sa.Column("form_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("format", sa.String(length=32), nullable=False),
        sa.Column("spec", JSON, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=True),
        sa.Column("file_name", sa.String(length=255), nullable=True),
        sa.Column("file_size", sa.BigInteger(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("started_at", TS, nullable=True),
        sa.Column("finished_at", TS, nullable=True),
        sa.Column("expires_at", TS, nullable=True),
        fk("export_jobs", "actor_id", "actors"),
        fk("export_jobs", "form_id", "forms"),
    )
    create_index("export_jobs", "form_id")
    create_index("export_jobs", "expires_at")


def downgrade() -> None:
    drop_index("export_jobs", "expires_at")
    drop_index("export_jobs", "form_id")
    op.drop_table("export_jobs")

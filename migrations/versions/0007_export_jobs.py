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
from sqlalchemy.dialects import postgresql

revision = "0007_export_jobs"
down_revision = "0006_webhooks"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "export_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
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
        sa.ForeignKeyConstraint(["actor_id"], ["actors.id"],
                                name=op.f("fk_export_jobs_actor_id_actors")),
        sa.ForeignKeyConstraint(["form_id"], ["forms.id"],
                                name=op.f("fk_export_jobs_form_id_forms")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_export_jobs")),
    )
    op.create_index(op.f("ix_export_jobs_form_id"), "export_jobs", ["form_id"], unique=False)
    op.create_index(op.f("ix_export_jobs_expires_at"), "export_jobs", ["expires_at"],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_export_jobs_expires_at"), table_name="export_jobs")
    op.drop_index(op.f("ix_export_jobs_form_id"), table_name="export_jobs")
    op.drop_table("export_jobs")

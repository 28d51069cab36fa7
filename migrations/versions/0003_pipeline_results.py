"""Pipeline results: a cleaned record and SDG tags per submission version.

The pipeline (issue 5) types and normalises each submission version's answers and tags it with
the SDGs it speaks to; both are keyed by submission_def_id so that re-running a job replaces
rather than duplicates. Tag parts that are absent are stored as "" so the unique key holds.

Revision ID: 0003_pipeline_results
Revises: 0002_user_digest_ha1
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

from migrations.helpers import JSON, TS, create_index, create_table, drop_index, fk, unique

revision = "0003_pipeline_results"
down_revision = "0002_user_digest_ha1"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_table(
        "cleaned_records",
        sa.Column("submission_def_id", sa.Integer(), nullable=False),
        sa.Column("record", JSON, nullable=False),
        sa.Column("flags", JSON, nullable=False),
        sa.Column("disaggregation", JSON, nullable=False),
        sa.Column("pipeline_version", sa.String(length=64), nullable=False),
        sa.Column("tags_key", sa.String(length=64), nullable=False),
        sa.Column("processed_at", TS, nullable=False),
        fk("cleaned_records", "submission_def_id", "submission_defs"),
        unique("cleaned_records", "submission_def_id"),
    )
    create_table(
        "sdg_tags",
        sa.Column("submission_def_id", sa.Integer(), nullable=False),
        sa.Column("goal", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=16), nullable=False),
        sa.Column("indicator", sa.String(length=24), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("field", sa.String(length=500), nullable=False),
        sa.Column("version", sa.String(length=100), nullable=False),
        fk("sdg_tags", "submission_def_id", "submission_defs"),
        sa.UniqueConstraint(
            "submission_def_id", "goal", "target", "indicator", "source", "field",
            name="uq_sdg_tags_key",
        ),
    )
    create_index("sdg_tags", "goal")
    create_index("sdg_tags", "submission_def_id")


def downgrade() -> None:
    drop_index("sdg_tags", "submission_def_id")
    drop_index("sdg_tags", "goal")
    op.drop_table("sdg_tags")
    op.drop_table("cleaned_records")

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
from sqlalchemy.dialects import postgresql

revision = "0003_pipeline_results"
down_revision = "0002_user_digest_ha1"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "cleaned_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_def_id", sa.Integer(), nullable=False),
        sa.Column("record", JSON, nullable=False),
        sa.Column("flags", JSON, nullable=False),
        sa.Column("disaggregation", JSON, nullable=False),
        sa.Column("pipeline_version", sa.String(length=64), nullable=False),
        sa.Column("tags_key", sa.String(length=64), nullable=False),
        sa.Column("processed_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["submission_def_id"], ["submission_defs.id"],
            name=op.f("fk_cleaned_records_submission_def_id_submission_defs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cleaned_records")),
        sa.UniqueConstraint("submission_def_id",
                            name=op.f("uq_cleaned_records_submission_def_id")),
    )
    op.create_table(
        "sdg_tags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_def_id", sa.Integer(), nullable=False),
        sa.Column("goal", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=16), nullable=False),
        sa.Column("indicator", sa.String(length=24), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("field", sa.String(length=500), nullable=False),
        sa.Column("version", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["submission_def_id"], ["submission_defs.id"],
            name=op.f("fk_sdg_tags_submission_def_id_submission_defs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sdg_tags")),
        sa.UniqueConstraint(
            "submission_def_id", "goal", "target", "indicator", "source", "field",
            name="uq_sdg_tags_key",
        ),
    )
    op.create_index(op.f("ix_sdg_tags_goal"), "sdg_tags", ["goal"], unique=False)
    op.create_index(op.f("ix_sdg_tags_submission_def_id"), "sdg_tags", ["submission_def_id"],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_sdg_tags_submission_def_id"), table_name="sdg_tags")
    op.drop_index(op.f("ix_sdg_tags_goal"), table_name="sdg_tags")
    op.drop_table("sdg_tags")
    op.drop_table("cleaned_records")

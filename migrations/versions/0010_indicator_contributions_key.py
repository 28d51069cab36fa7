"""Indicator contributions keyed (submission, indicator), without a second index.

Every writer finds a submission's rows (the pipeline's batch, reviews, erasure), so the
primary key leads with the submission and the separate submission index goes: one B-tree
less to maintain for each of the hundreds of rows a pipeline batch writes.

Revision ID: 0010_indicator_contributions_key
Revises: 0009_indicators
Create Date: 2026-12-07
"""

from alembic import op

revision = "0010_indicator_contributions_key"
down_revision = "0009_indicators"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_indicator_contributions_submission_id",
                  table_name="indicator_contributions")
    with op.batch_alter_table("indicator_contributions") as batch:
        batch.drop_constraint("pk_indicator_contributions", type_="primary")
        batch.create_primary_key("pk_indicator_contributions",
                                 ["submission_id", "indicator_id"])


def downgrade() -> None:
    with op.batch_alter_table("indicator_contributions") as batch:
        batch.drop_constraint("pk_indicator_contributions", type_="primary")
        batch.create_primary_key("pk_indicator_contributions",
                                 ["indicator_id", "submission_id"])
    op.create_index("ix_indicator_contributions_submission_id", "indicator_contributions",
                    ["submission_id"])

"""Indexes for fast exports and OData pages: submissions(form_id, created_at, id) gives
Central's newest-first order by a backward index scan, so an export or an OData page never
sorts the wide rows.

Revision ID: 0005_export_indexes
Revises: 0004_messaging
Create Date: 2026-11-26
"""

from alembic import op

revision = "0005_export_indexes"
down_revision = "0004_messaging"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_submissions_form_created", "submissions",
                    ["form_id", "created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_submissions_form_created", table_name="submissions")

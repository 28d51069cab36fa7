"""Large exports run as background jobs (placeholder: filled by the export-jobs work).

Revision ID: 0007_export_jobs
Revises: 0006_webhooks
Create Date: 2026-11-26
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0007_export_jobs"
down_revision = "0006_webhooks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

"""Outbound webhooks and their delivery log (placeholder: filled by the webhooks work).

Revision ID: 0006_webhooks
Revises: 0005_export_indexes
Create Date: 2026-11-26
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0006_webhooks"
down_revision = "0005_export_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

"""Indexes for fast exports and OData pages (placeholder: filled by the export-speed work).

Revision ID: 0005_export_indexes
Revises: 0004_messaging
Create Date: 2026-11-26
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0005_export_indexes"
down_revision = "0004_messaging"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

"""Webhooks reach non-public networks only where the server's WEBHOOK_ALLOW_NETWORKS allows.

The per-webhook `allow_private` switch (an admin's exception for one receiver) is gone: one
operator-level allow-list is the only way in, so a manager or an admin's session cannot open
the inside to a webhook.

Revision ID: 0013_webhook_networks
Revises: 0012_sync
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_webhook_networks"
down_revision = "0012_sync"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("webhooks") as batch:
        batch.drop_column("allow_private")


def downgrade() -> None:
    with op.batch_alter_table("webhooks") as batch:
        batch.add_column(sa.Column("allow_private", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))

"""A conversation's texts purged: a sensitive form's once finished, a declined one at once.

conversations.purged_at marks a conversation whose answers (state, instance) and message
texts were removed, delivery statuses kept; replies still being sent keep their text until
they go, and a sweep blanks them then.

Revision ID: 0011_conversation_purge
Revises: 0010_indicator_contributions_key
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_conversation_purge"
down_revision = "0010_indicator_contributions_key"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("purged_at")

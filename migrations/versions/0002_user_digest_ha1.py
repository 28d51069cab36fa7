"""Store MD5(email:realm:password) for web users so ODK Collect can log in with HTTP Digest.

werkzeug's scrypt hashes cannot answer a Digest challenge; Digest needs the password or this
HA1, computed when the password is set (realm fixed: "DataShift Collect"). NULL until then.

Revision ID: 0002_user_digest_ha1
Revises: 0001_foundation
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_user_digest_ha1"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("digest_ha1", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("digest_ha1")

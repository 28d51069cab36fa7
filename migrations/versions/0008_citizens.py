"""Citizens' side of SMS, USSD and WhatsApp: form conversation settings, erasure requests.

- form_versions.conversation: the XLSForm's consent / sensitive / sms_progress settings
  (forms.settings), handed to the conversation engine with the form;
- contacts.erasure_requested_at: a DELETE awaiting the person's confirmation;
  contacts.erased_at: an erased contact, nameless, kept only until its last reply is sent;
- erasure_requests: each DELETE for managers to see, with what was erased counted and no
  personal data.

Revision ID: 0008_citizens
Revises: 0007_export_jobs
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

from migrations.helpers import JSON, TS, create_table, fk

revision = "0008_citizens"
down_revision = "0007_export_jobs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("form_versions") as batch:
        batch.add_column(sa.Column("conversation", JSON, nullable=False,
                                   server_default=sa.text("'{}'")))
    with op.batch_alter_table("contacts") as batch:
        batch.add_column(sa.Column("erasure_requested_at", TS, nullable=True))
        batch.add_column(sa.Column("erased_at", TS, nullable=True))
    create_table(
        "erasure_requests",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=True),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("via", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("requested_at", TS, nullable=False),
        sa.Column("decided_at", TS, nullable=True),
        sa.Column("submissions", sa.Integer(), nullable=False),
        sa.Column("conversations", sa.Integer(), nullable=False),
        sa.Column("messages", sa.Integer(), nullable=False),
        fk("erasure_requests", "channel_id", "channels"),
        fk("erasure_requests", "contact_id", "contacts"),
        fk("erasure_requests", "project_id", "projects"),
    )
    op.create_index("ix_erasure_requests_project_requested", "erasure_requests",
                    ["project_id", "requested_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_erasure_requests_project_requested", table_name="erasure_requests")
    op.drop_table("erasure_requests")
    with op.batch_alter_table("contacts") as batch:
        batch.drop_column("erased_at")
        batch.drop_column("erasure_requested_at")
    with op.batch_alter_table("form_versions") as batch:
        batch.drop_column("conversation")

"""Field-office sync: links, peers, confirmations, conflicts and id mappings.

A central server issues sync links (a project-scoped, revocable credential: an actor of type
`sync_link`); a field office keeps one peer row per central project it syncs with (encrypted
credential, checkpoints, a lease lock), one `sync_sent` row per local submission version the
central server answered for, and both sides keep conflicts (the same instanceID with other
content) until a manager resolves them. `sync_ids` maps remote ids (comments, people) to the
local rows they became, so that they arrive exactly once.

Revision ID: 0012_sync
Revises: 0011_conversation_purge
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

from migrations.helpers import JSON, TS, create_index, create_table, drop_index, fk, unique

revision = "0012_sync"
down_revision = "0011_conversation_purge"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_table(
        "sync_ids",
        sa.Column("scope", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("remote_id", sa.String(length=255), nullable=False),
        sa.Column("local_id", sa.Integer(), nullable=False),
        unique("sync_ids", "scope", "kind", "remote_id"),
    )
    create_table(
        "sync_links",
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("revoked_at", TS, nullable=True),
        sa.Column("last_contact_at", TS, nullable=True),
        sa.Column("cursor", sa.Integer(), nullable=False),
        sa.Column("received", sa.Integer(), nullable=False),
        fk("sync_links", "actor_id", "actors"),
        fk("sync_links", "created_by", "actors"),
        fk("sync_links", "project_id", "projects"),
        unique("sync_links", "token_hash"),
        primary_key=["actor_id"],
    )
    create_index("sync_links", "project_id")
    create_table(
        "sync_peers",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("remote_project_id", sa.Integer(), nullable=False),
        sa.Column("dialect", sa.String(length=16), nullable=False),
        sa.Column("credentials", sa.Text(), nullable=False),
        sa.Column("display_name", sa.String(length=255), nullable=True),
        sa.Column("verify_tls", sa.Boolean(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("last_contact_at", TS, nullable=True),
        sa.Column("last_success_at", TS, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("cursor", sa.Integer(), nullable=False),
        sa.Column("review_cursor", sa.Integer(), nullable=False),
        sa.Column("comment_cursor", sa.Integer(), nullable=False),
        sa.Column("lock_owner", sa.String(length=64), nullable=True),
        sa.Column("lock_expires_at", TS, nullable=True),
        fk("sync_peers", "project_id", "projects"),
        unique("sync_peers", "url", "remote_project_id"),
    )
    create_index("sync_peers", "project_id")
    create_table(
        "sync_conflicts",
        sa.Column("scope", sa.String(length=64), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("form_id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.String(length=255), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("def_id", sa.Integer(), nullable=True),
        sa.Column("other_xml", sa.Text(), nullable=False),
        sa.Column("other_meta", JSON, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("resolution", sa.String(length=16), nullable=True),
        sa.Column("resolved_at", TS, nullable=True),
        sa.Column("resolved_by", sa.Integer(), nullable=True),
        fk("sync_conflicts", "def_id", "submission_defs"),
        fk("sync_conflicts", "form_id", "forms"),
        fk("sync_conflicts", "project_id", "projects"),
        fk("sync_conflicts", "resolved_by", "actors"),
        unique("sync_conflicts", "scope", "form_id", "instance_id"),
    )
    op.create_index("ix_sync_conflicts_project_resolved", "sync_conflicts",
                    ["project_id", "resolved_at"], unique=False)
    create_table(
        "sync_sent",
        sa.Column("peer_id", sa.Integer(), nullable=False),
        sa.Column("submission_def_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attachments", sa.Integer(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("updated_at", TS, nullable=False),
        fk("sync_sent", "peer_id", "sync_peers"),
        fk("sync_sent", "submission_def_id", "submission_defs"),
        primary_key=["peer_id", "submission_def_id"],
    )


def downgrade() -> None:
    op.drop_table("sync_sent")
    op.drop_index("ix_sync_conflicts_project_resolved", table_name="sync_conflicts")
    op.drop_table("sync_conflicts")
    drop_index("sync_peers", "project_id")
    op.drop_table("sync_peers")
    drop_index("sync_links", "project_id")
    op.drop_table("sync_links")
    op.drop_table("sync_ids")

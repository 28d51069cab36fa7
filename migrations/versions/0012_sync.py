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
from sqlalchemy.dialects import postgresql

revision = "0012_sync"
down_revision = "0011_conversation_purge"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "sync_ids",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("remote_id", sa.String(length=255), nullable=False),
        sa.Column("local_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_ids")),
        sa.UniqueConstraint("scope", "kind", "remote_id",
                            name=op.f("uq_sync_ids_scope_kind_remote_id")),
    )
    op.create_table(
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
        sa.ForeignKeyConstraint(["actor_id"], ["actors.id"],
                                name=op.f("fk_sync_links_actor_id_actors")),
        sa.ForeignKeyConstraint(["created_by"], ["actors.id"],
                                name=op.f("fk_sync_links_created_by_actors")),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"],
                                name=op.f("fk_sync_links_project_id_projects")),
        sa.PrimaryKeyConstraint("actor_id", name=op.f("pk_sync_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_sync_links_token_hash")),
    )
    op.create_index(op.f("ix_sync_links_project_id"), "sync_links", ["project_id"],
                    unique=False)
    op.create_table(
        "sync_peers",
        sa.Column("id", sa.Integer(), nullable=False),
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
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"],
                                name=op.f("fk_sync_peers_project_id_projects")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_peers")),
        sa.UniqueConstraint("url", "remote_project_id",
                            name=op.f("uq_sync_peers_url_remote_project_id")),
    )
    op.create_index(op.f("ix_sync_peers_project_id"), "sync_peers", ["project_id"],
                    unique=False)
    op.create_table(
        "sync_conflicts",
        sa.Column("id", sa.Integer(), nullable=False),
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
        sa.ForeignKeyConstraint(["def_id"], ["submission_defs.id"],
                                name=op.f("fk_sync_conflicts_def_id_submission_defs")),
        sa.ForeignKeyConstraint(["form_id"], ["forms.id"],
                                name=op.f("fk_sync_conflicts_form_id_forms")),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"],
                                name=op.f("fk_sync_conflicts_project_id_projects")),
        sa.ForeignKeyConstraint(["resolved_by"], ["actors.id"],
                                name=op.f("fk_sync_conflicts_resolved_by_actors")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_conflicts")),
        sa.UniqueConstraint("scope", "form_id", "instance_id",
                            name=op.f("uq_sync_conflicts_scope_form_id_instance_id")),
    )
    op.create_index("ix_sync_conflicts_project_resolved", "sync_conflicts",
                    ["project_id", "resolved_at"], unique=False)
    op.create_table(
        "sync_sent",
        sa.Column("peer_id", sa.Integer(), nullable=False),
        sa.Column("submission_def_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attachments", sa.Integer(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("updated_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["peer_id"], ["sync_peers.id"],
                                name=op.f("fk_sync_sent_peer_id_sync_peers")),
        sa.ForeignKeyConstraint(["submission_def_id"], ["submission_defs.id"],
                                name=op.f("fk_sync_sent_submission_def_id_submission_defs")),
        sa.PrimaryKeyConstraint("peer_id", "submission_def_id", name=op.f("pk_sync_sent")),
    )


def downgrade() -> None:
    op.drop_table("sync_sent")
    op.drop_index("ix_sync_conflicts_project_resolved", table_name="sync_conflicts")
    op.drop_table("sync_conflicts")
    op.drop_index(op.f("ix_sync_peers_project_id"), table_name="sync_peers")
    op.drop_table("sync_peers")
    op.drop_index(op.f("ix_sync_links_project_id"), table_name="sync_links")
    op.drop_table("sync_links")
    op.drop_table("sync_ids")

"""The foundation schema: actors and roles, projects, forms and versions, submissions.

Submissions are designed here too (versions as an edit chain, attachments, review, the
pipeline outbox) so that every channel has one shape to write into.

Revision ID: 0001_foundation
Revises:
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

from migrations.helpers import (
    JSON,
    TS,
    create_index,
    create_partial_unique_index,
    create_table,
    drop_index,
    drop_partial_unique_index,
    fk,
    unique,
)

revision = "0001_foundation"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_table(
        "actors",
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("display_name", sa.String(length=255), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=True),
        sa.Column("deleted_at", TS, nullable=True),
    )
    create_table(
        "blobs",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("md5", sa.String(length=32), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("content_type", sa.String(length=255), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        unique("blobs", "sha256"),
    )
    create_table(
        "login_attempts",
        sa.Column("key", sa.String(length=400), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("first_failure_at", TS, nullable=False),
        primary_key=["key"],
    )
    create_table(
        "projects",
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("settings", JSON, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=True),
        sa.Column("deleted_at", TS, nullable=True),
    )
    create_table(
        "app_users",
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("revoked_at", TS, nullable=True),
        fk("app_users", "actor_id", "actors"),
        fk("app_users", "created_by", "actors"),
        fk("app_users", "project_id", "projects"),
        unique("app_users", "token_hash"),
        primary_key=["actor_id"],
    )
    create_index("app_users", "project_id")
    create_table(
        "forms",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("xml_form_id", sa.String(length=255), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("sms_keyword", sa.String(length=64), nullable=True),
        sa.Column("current_version_id", sa.Integer(), nullable=True),
        sa.Column("draft_version_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=True),
        sa.Column("deleted_at", TS, nullable=True),
        fk("forms", "created_by", "actors"),
        fk("forms", "project_id", "projects"),
        unique("forms", "project_id", "xml_form_id"),
    )
    create_index("forms", "project_id")
    create_partial_unique_index(
        "uq_forms_project_sms_keyword",
        "forms",
        ["project_id", "sms_keyword"],
        "sms_keyword IS NOT NULL",
    )
    create_table(
        "project_roles",
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        fk("project_roles", "actor_id", "actors"),
        fk("project_roles", "project_id", "projects"),
        unique("project_roles", "actor_id", "project_id", "role"),
    )
    create_index("project_roles", "actor_id")
    create_index("project_roles", "project_id")
    create_table(
        "sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        fk("sessions", "actor_id", "actors"),
        primary_key=["token_hash"],
    )
    create_index("sessions", "actor_id")
    create_table(
        "users",
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        fk("users", "actor_id", "actors"),
        unique("users", "email"),
        primary_key=["actor_id"],
    )
    create_table(
        "form_assignments",
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("form_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        fk("form_assignments", "actor_id", "actors"),
        fk("form_assignments", "form_id", "forms"),
        unique("form_assignments", "actor_id", "form_id", "role"),
    )
    create_index("form_assignments", "actor_id")
    create_index("form_assignments", "form_id")
    create_table(
        "form_versions",
        sa.Column("form_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("xml", sa.Text(), nullable=False),
        sa.Column("hash", sa.String(length=32), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("xlsform", sa.LargeBinary(), nullable=True),
        sa.Column("xlsform_content_type", sa.String(length=255), nullable=True),
        sa.Column("sdg_mapping", JSON, nullable=False),
        sa.Column("disaggregation", JSON, nullable=False),
        sa.Column("sms_keyword", sa.String(length=64), nullable=True),
        sa.Column("validated", sa.Boolean(), nullable=False),
        sa.Column("warnings", JSON, nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("published_at", TS, nullable=True),
        fk("form_versions", "created_by", "actors"),
        fk("form_versions", "form_id", "forms"),
    )
    create_index("form_versions", "form_id")
    create_partial_unique_index(
        "uq_form_versions_published_version",
        "form_versions",
        ["form_id", "version"],
        "published_at IS NOT NULL",
    )
    create_table(
        "submissions",
        sa.Column("form_id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.String(length=255), nullable=False),
        sa.Column("submitter_id", sa.Integer(), nullable=True),
        sa.Column("device_id", sa.String(length=255), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("review_state", sa.String(length=20), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=True),
        sa.Column("deleted_at", TS, nullable=True),
        fk("submissions", "form_id", "forms"),
        fk("submissions", "submitter_id", "actors"),
        unique("submissions", "form_id", "instance_id"),
    )
    create_index("submissions", "created_at")
    create_index("submissions", "form_id")
    create_table(
        "audits",
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("form_id", sa.Integer(), nullable=True),
        sa.Column("submission_id", sa.Integer(), nullable=True),
        sa.Column("details", JSON, nullable=False),
        sa.Column("logged_at", TS, nullable=False),
        fk("audits", "actor_id", "actors"),
        fk("audits", "form_id", "forms"),
        fk("audits", "project_id", "projects"),
        fk("audits", "submission_id", "submissions"),
    )
    create_index("audits", "action")
    create_index("audits", "logged_at")
    create_table(
        "comments",
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        fk("comments", "actor_id", "actors"),
        fk("comments", "submission_id", "submissions"),
    )
    create_index("comments", "submission_id")
    create_table(
        "form_attachments",
        sa.Column("form_version_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("blob_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", TS, nullable=True),
        fk("form_attachments", "blob_id", "blobs"),
        fk("form_attachments", "form_version_id", "form_versions"),
        unique("form_attachments", "form_version_id", "name"),
    )
    create_index("form_attachments", "form_version_id")
    create_table(
        "submission_defs",
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("form_id", sa.Integer(), nullable=False),
        sa.Column("form_version_id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.String(length=255), nullable=False),
        sa.Column("deprecated_id", sa.String(length=255), nullable=True),
        sa.Column("instance_name", sa.String(length=255), nullable=True),
        sa.Column("xml", sa.Text(), nullable=False),
        sa.Column("xml_sha256", sa.String(length=64), nullable=False),
        sa.Column("data", JSON, nullable=False),
        sa.Column("submitter_id", sa.Integer(), nullable=True),
        sa.Column("device_id", sa.String(length=255), nullable=True),
        sa.Column("user_agent", sa.String(length=500), nullable=True),
        sa.Column("current", sa.Boolean(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        fk("submission_defs", "form_id", "forms"),
        fk("submission_defs", "form_version_id", "form_versions"),
        fk("submission_defs", "submission_id", "submissions"),
        fk("submission_defs", "submitter_id", "actors"),
        unique("submission_defs", "form_id", "instance_id"),
    )
    op.create_index(
        "ix_submission_defs_current", "submission_defs", ["submission_id", "current"], unique=False
    )
    create_index("submission_defs", "form_version_id")
    create_index("submission_defs", "submission_id")
    create_table(
        "pipeline_outbox",
        sa.Column("submission_def_id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("enqueued_at", TS, nullable=True),
        sa.Column("processed_at", TS, nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        fk("pipeline_outbox", "submission_def_id", "submission_defs"),
    )
    create_index("pipeline_outbox", "processed_at")
    create_index("pipeline_outbox", "submission_def_id")
    create_table(
        "submission_attachments",
        sa.Column("submission_def_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("blob_id", sa.Integer(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        fk("submission_attachments", "blob_id", "blobs"),
        fk("submission_attachments", "submission_def_id", "submission_defs"),
        unique("submission_attachments", "submission_def_id", "name"),
    )
    create_index("submission_attachments", "submission_def_id")
    # forms <-> form_versions reference each other: add forms' pointers once both exist.
    with op.batch_alter_table("forms") as batch:
        batch.create_foreign_key(
            op.f("fk_forms_current_version_id_form_versions"),
            "form_versions",
            ["current_version_id"],
            ["id"],
        )
        batch.create_foreign_key(
            op.f("fk_forms_draft_version_id_form_versions"),
            "form_versions",
            ["draft_version_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("forms") as batch:
        batch.drop_constraint(op.f("fk_forms_current_version_id_form_versions"), type_="foreignkey")
        batch.drop_constraint(op.f("fk_forms_draft_version_id_form_versions"), type_="foreignkey")
    drop_index("submission_attachments", "submission_def_id")
    op.drop_table("submission_attachments")
    drop_index("pipeline_outbox", "submission_def_id")
    drop_index("pipeline_outbox", "processed_at")
    op.drop_table("pipeline_outbox")
    drop_index("submission_defs", "submission_id")
    drop_index("submission_defs", "form_version_id")
    op.drop_index("ix_submission_defs_current", table_name="submission_defs")
    op.drop_table("submission_defs")
    drop_index("form_attachments", "form_version_id")
    op.drop_table("form_attachments")
    drop_index("comments", "submission_id")
    op.drop_table("comments")
    drop_index("audits", "logged_at")
    drop_index("audits", "action")
    op.drop_table("audits")
    drop_index("submissions", "form_id")
    drop_index("submissions", "created_at")
    op.drop_table("submissions")
    drop_partial_unique_index("uq_form_versions_published_version", "form_versions",
                              "published_at IS NOT NULL")
    drop_index("form_versions", "form_id")
    op.drop_table("form_versions")
    drop_index("form_assignments", "form_id")
    drop_index("form_assignments", "actor_id")
    op.drop_table("form_assignments")
    op.drop_table("users")
    drop_index("sessions", "actor_id")
    op.drop_table("sessions")
    drop_index("project_roles", "project_id")
    drop_index("project_roles", "actor_id")
    op.drop_table("project_roles")
    drop_partial_unique_index("uq_forms_project_sms_keyword", "forms", "sms_keyword IS NOT NULL")
    drop_index("forms", "project_id")
    op.drop_table("forms")
    drop_index("app_users", "project_id")
    op.drop_table("app_users")
    op.drop_table("projects")
    op.drop_table("login_attempts")
    op.drop_table("blobs")
    op.drop_table("actors")

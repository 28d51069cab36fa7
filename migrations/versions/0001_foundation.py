"""The foundation schema: actors and roles, projects, forms and versions, submissions.

Submissions are designed here too (versions as an edit chain, attachments, review, the
pipeline outbox) so that every channel has one shape to write into.

Revision ID: 0001_foundation
Revises:
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001_foundation"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "actors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("display_name", sa.String(length=255), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=True),
        sa.Column("deleted_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_actors")),
    )
    op.create_table(
        "blobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("md5", sa.String(length=32), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("content_type", sa.String(length=255), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blobs")),
        sa.UniqueConstraint("sha256", name=op.f("uq_blobs_sha256")),
    )
    op.create_table(
        "login_attempts",
        sa.Column("key", sa.String(length=400), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("first_failure_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_attempts")),
    )
    op.create_table(
        "projects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("settings", JSON, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=True),
        sa.Column("deleted_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_projects")),
    )
    op.create_table(
        "app_users",
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("revoked_at", TS, nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["actors.id"], name=op.f("fk_app_users_actor_id_actors")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["actors.id"], name=op.f("fk_app_users_created_by_actors")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_app_users_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("actor_id", name=op.f("pk_app_users")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_app_users_token_hash")),
    )
    op.create_index(op.f("ix_app_users_project_id"), "app_users", ["project_id"], unique=False)
    op.create_table(
        "forms",
        sa.Column("id", sa.Integer(), nullable=False),
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
        sa.ForeignKeyConstraint(
            ["created_by"], ["actors.id"], name=op.f("fk_forms_created_by_actors")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_forms_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forms")),
        sa.UniqueConstraint(
            "project_id", "xml_form_id", name=op.f("uq_forms_project_id_xml_form_id")
        ),
    )
    op.create_index(op.f("ix_forms_project_id"), "forms", ["project_id"], unique=False)
    op.create_index(
        "uq_forms_project_sms_keyword",
        "forms",
        ["project_id", "sms_keyword"],
        unique=True,
        sqlite_where=sa.text("sms_keyword IS NOT NULL"),
        postgresql_where=sa.text("sms_keyword IS NOT NULL"),
    )
    op.create_table(
        "project_roles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["actors.id"], name=op.f("fk_project_roles_actor_id_actors")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_project_roles_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_roles")),
        sa.UniqueConstraint(
            "actor_id", "project_id", "role", name=op.f("uq_project_roles_actor_id_project_id_role")
        ),
    )
    op.create_index(op.f("ix_project_roles_actor_id"), "project_roles", ["actor_id"], unique=False)
    op.create_index(
        op.f("ix_project_roles_project_id"), "project_roles", ["project_id"], unique=False
    )
    op.create_table(
        "sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["actors.id"], name=op.f("fk_sessions_actor_id_actors")
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_sessions")),
    )
    op.create_index(op.f("ix_sessions_actor_id"), "sessions", ["actor_id"], unique=False)
    op.create_table(
        "users",
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["actors.id"], name=op.f("fk_users_actor_id_actors")),
        sa.PrimaryKeyConstraint("actor_id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_table(
        "form_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("form_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["actors.id"], name=op.f("fk_form_assignments_actor_id_actors")
        ),
        sa.ForeignKeyConstraint(
            ["form_id"], ["forms.id"], name=op.f("fk_form_assignments_form_id_forms")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_form_assignments")),
        sa.UniqueConstraint(
            "actor_id", "form_id", "role", name=op.f("uq_form_assignments_actor_id_form_id_role")
        ),
    )
    op.create_index(
        op.f("ix_form_assignments_actor_id"), "form_assignments", ["actor_id"], unique=False
    )
    op.create_index(
        op.f("ix_form_assignments_form_id"), "form_assignments", ["form_id"], unique=False
    )
    op.create_table(
        "form_versions",
        sa.Column("id", sa.Integer(), nullable=False),
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
        sa.ForeignKeyConstraint(
            ["created_by"], ["actors.id"], name=op.f("fk_form_versions_created_by_actors")
        ),
        sa.ForeignKeyConstraint(
            ["form_id"], ["forms.id"], name=op.f("fk_form_versions_form_id_forms")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_form_versions")),
    )
    op.create_index(op.f("ix_form_versions_form_id"), "form_versions", ["form_id"], unique=False)
    op.create_index(
        "uq_form_versions_published_version",
        "form_versions",
        ["form_id", "version"],
        unique=True,
        sqlite_where=sa.text("published_at IS NOT NULL"),
        postgresql_where=sa.text("published_at IS NOT NULL"),
    )
    op.create_table(
        "submissions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("form_id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.String(length=255), nullable=False),
        sa.Column("submitter_id", sa.Integer(), nullable=True),
        sa.Column("device_id", sa.String(length=255), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("review_state", sa.String(length=20), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=True),
        sa.Column("deleted_at", TS, nullable=True),
        sa.ForeignKeyConstraint(
            ["form_id"], ["forms.id"], name=op.f("fk_submissions_form_id_forms")
        ),
        sa.ForeignKeyConstraint(
            ["submitter_id"], ["actors.id"], name=op.f("fk_submissions_submitter_id_actors")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submissions")),
        sa.UniqueConstraint(
            "form_id", "instance_id", name=op.f("uq_submissions_form_id_instance_id")
        ),
    )
    op.create_index(op.f("ix_submissions_created_at"), "submissions", ["created_at"], unique=False)
    op.create_index(op.f("ix_submissions_form_id"), "submissions", ["form_id"], unique=False)
    op.create_table(
        "audits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("form_id", sa.Integer(), nullable=True),
        sa.Column("submission_id", sa.Integer(), nullable=True),
        sa.Column("details", JSON, nullable=False),
        sa.Column("logged_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["actors.id"], name=op.f("fk_audits_actor_id_actors")
        ),
        sa.ForeignKeyConstraint(["form_id"], ["forms.id"], name=op.f("fk_audits_form_id_forms")),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_audits_project_id_projects")
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"], ["submissions.id"], name=op.f("fk_audits_submission_id_submissions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audits")),
    )
    op.create_index(op.f("ix_audits_action"), "audits", ["action"], unique=False)
    op.create_index(op.f("ix_audits_logged_at"), "audits", ["logged_at"], unique=False)
    op.create_table(
        "comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["actors.id"], name=op.f("fk_comments_actor_id_actors")
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name=op.f("fk_comments_submission_id_submissions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comments")),
    )
    op.create_index(op.f("ix_comments_submission_id"), "comments", ["submission_id"], unique=False)
    op.create_table(
        "form_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("form_version_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("blob_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", TS, nullable=True),
        sa.ForeignKeyConstraint(
            ["blob_id"], ["blobs.id"], name=op.f("fk_form_attachments_blob_id_blobs")
        ),
        sa.ForeignKeyConstraint(
            ["form_version_id"],
            ["form_versions.id"],
            name=op.f("fk_form_attachments_form_version_id_form_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_form_attachments")),
        sa.UniqueConstraint(
            "form_version_id", "name", name=op.f("uq_form_attachments_form_version_id_name")
        ),
    )
    op.create_index(
        op.f("ix_form_attachments_form_version_id"),
        "form_attachments",
        ["form_version_id"],
        unique=False,
    )
    op.create_table(
        "submission_defs",
        sa.Column("id", sa.Integer(), nullable=False),
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
        sa.ForeignKeyConstraint(
            ["form_id"], ["forms.id"], name=op.f("fk_submission_defs_form_id_forms")
        ),
        sa.ForeignKeyConstraint(
            ["form_version_id"],
            ["form_versions.id"],
            name=op.f("fk_submission_defs_form_version_id_form_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name=op.f("fk_submission_defs_submission_id_submissions"),
        ),
        sa.ForeignKeyConstraint(
            ["submitter_id"], ["actors.id"], name=op.f("fk_submission_defs_submitter_id_actors")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submission_defs")),
        sa.UniqueConstraint(
            "form_id", "instance_id", name=op.f("uq_submission_defs_form_id_instance_id")
        ),
    )
    op.create_index(
        "ix_submission_defs_current", "submission_defs", ["submission_id", "current"], unique=False
    )
    op.create_index(
        op.f("ix_submission_defs_form_version_id"),
        "submission_defs",
        ["form_version_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_submission_defs_submission_id"), "submission_defs", ["submission_id"], unique=False
    )
    op.create_table(
        "pipeline_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_def_id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("enqueued_at", TS, nullable=True),
        sa.Column("processed_at", TS, nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["submission_def_id"],
            ["submission_defs.id"],
            name=op.f("fk_pipeline_outbox_submission_def_id_submission_defs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pipeline_outbox")),
    )
    op.create_index(
        op.f("ix_pipeline_outbox_processed_at"), "pipeline_outbox", ["processed_at"], unique=False
    )
    op.create_index(
        op.f("ix_pipeline_outbox_submission_def_id"),
        "pipeline_outbox",
        ["submission_def_id"],
        unique=False,
    )
    op.create_table(
        "submission_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_def_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("blob_id", sa.Integer(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["blob_id"], ["blobs.id"], name=op.f("fk_submission_attachments_blob_id_blobs")
        ),
        sa.ForeignKeyConstraint(
            ["submission_def_id"],
            ["submission_defs.id"],
            name=op.f("fk_submission_attachments_submission_def_id_submission_defs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submission_attachments")),
        sa.UniqueConstraint(
            "submission_def_id",
            "name",
            name=op.f("uq_submission_attachments_submission_def_id_name"),
        ),
    )
    op.create_index(
        op.f("ix_submission_attachments_submission_def_id"),
        "submission_attachments",
        ["submission_def_id"],
        unique=False,
    )
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
    op.drop_index(
        op.f("ix_submission_attachments_submission_def_id"), table_name="submission_attachments"
    )
    op.drop_table("submission_attachments")
    op.drop_index(op.f("ix_pipeline_outbox_submission_def_id"), table_name="pipeline_outbox")
    op.drop_index(op.f("ix_pipeline_outbox_processed_at"), table_name="pipeline_outbox")
    op.drop_table("pipeline_outbox")
    op.drop_index(op.f("ix_submission_defs_submission_id"), table_name="submission_defs")
    op.drop_index(op.f("ix_submission_defs_form_version_id"), table_name="submission_defs")
    op.drop_index("ix_submission_defs_current", table_name="submission_defs")
    op.drop_table("submission_defs")
    op.drop_index(op.f("ix_form_attachments_form_version_id"), table_name="form_attachments")
    op.drop_table("form_attachments")
    op.drop_index(op.f("ix_comments_submission_id"), table_name="comments")
    op.drop_table("comments")
    op.drop_index(op.f("ix_audits_logged_at"), table_name="audits")
    op.drop_index(op.f("ix_audits_action"), table_name="audits")
    op.drop_table("audits")
    op.drop_index(op.f("ix_submissions_form_id"), table_name="submissions")
    op.drop_index(op.f("ix_submissions_created_at"), table_name="submissions")
    op.drop_table("submissions")
    op.drop_index(
        "uq_form_versions_published_version",
        table_name="form_versions",
        sqlite_where=sa.text("published_at IS NOT NULL"),
        postgresql_where=sa.text("published_at IS NOT NULL"),
    )
    op.drop_index(op.f("ix_form_versions_form_id"), table_name="form_versions")
    op.drop_table("form_versions")
    op.drop_index(op.f("ix_form_assignments_form_id"), table_name="form_assignments")
    op.drop_index(op.f("ix_form_assignments_actor_id"), table_name="form_assignments")
    op.drop_table("form_assignments")
    op.drop_table("users")
    op.drop_index(op.f("ix_sessions_actor_id"), table_name="sessions")
    op.drop_table("sessions")
    op.drop_index(op.f("ix_project_roles_project_id"), table_name="project_roles")
    op.drop_index(op.f("ix_project_roles_actor_id"), table_name="project_roles")
    op.drop_table("project_roles")
    op.drop_index(
        "uq_forms_project_sms_keyword",
        table_name="forms",
        sqlite_where=sa.text("sms_keyword IS NOT NULL"),
        postgresql_where=sa.text("sms_keyword IS NOT NULL"),
    )
    op.drop_index(op.f("ix_forms_project_id"), table_name="forms")
    op.drop_table("forms")
    op.drop_index(op.f("ix_app_users_project_id"), table_name="app_users")
    op.drop_table("app_users")
    op.drop_table("projects")
    op.drop_table("login_attempts")
    op.drop_table("blobs")
    op.drop_table("actors")

"""Indicators: declarations, per-submission contributions, rolled-up cells, official series,
public dashboards, approved quotes and area boundaries for the dashboard's map; form
versions keep the indicators their XLSForm declares.

A contribution row is what one submission's current version adds to one indicator; cells
hold the contributions summed by month, review state and dimensions, updated in the same
transaction, so a series is a GROUP BY over a few thousand rows at most.

Revision ID: 0009_indicators
Revises: 0008_citizens
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009_indicators"
down_revision = "0008_citizens"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
DIMS = ("d0", "d1", "d2", "d3", "d4")


def _dims() -> list[sa.Column]:
    return [sa.Column(d, sa.String(length=100), nullable=False) for d in DIMS]


def upgrade() -> None:
    with op.batch_alter_table("form_versions") as batch:
        batch.add_column(sa.Column("indicators", JSON, nullable=False,
                                   server_default=sa.text("'[]'")))
    op.create_table(
        "indicators",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("form_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("sdg", sa.String(length=24), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("definition", JSON, nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("rebuilding", sa.Boolean(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=True),
        sa.ForeignKeyConstraint(["form_id"], ["forms.id"],
                                name=op.f("fk_indicators_form_id_forms")),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"],
                                name=op.f("fk_indicators_project_id_projects")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicators")),
        sa.UniqueConstraint("project_id", "code", name=op.f("uq_indicators_project_id_code")),
    )
    op.create_index(op.f("ix_indicators_project_id"), "indicators", ["project_id"])
    op.create_index(op.f("ix_indicators_form_id"), "indicators", ["form_id"])
    op.create_table(
        "indicator_contributions",
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("submission_def_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("review_state", sa.String(length=20), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        *_dims(),
        sa.Column("num", sa.Float(), nullable=False),
        sa.Column("num2", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["indicator_id"], ["indicators.id"],
                                name=op.f("fk_indicator_contributions_indicator_id_indicators")),
        sa.ForeignKeyConstraint(["submission_id"], ["submissions.id"], name=op.f(
            "fk_indicator_contributions_submission_id_submissions")),
        sa.PrimaryKeyConstraint("indicator_id", "submission_id",
                                name=op.f("pk_indicator_contributions")),
    )
    op.create_index(op.f("ix_indicator_contributions_submission_id"),
                    "indicator_contributions", ["submission_id"])
    op.create_table(
        "indicator_cells",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("review_state", sa.String(length=20), nullable=False),
        *_dims(),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("num", sa.Float(), nullable=False),
        sa.Column("num2", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["indicator_id"], ["indicators.id"],
                                name=op.f("fk_indicator_cells_indicator_id_indicators")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator_cells")),
        sa.UniqueConstraint("indicator_id", "month", "review_state", *DIMS,
                            name="uq_indicator_cells_key"),
    )
    op.create_table(
        "indicator_official_series",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=255), nullable=True),
        sa.Column("columns", JSON, nullable=False),
        sa.Column("rows", JSON, nullable=False),
        sa.Column("csv", sa.Text(), nullable=False),
        sa.Column("uploaded_by", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["indicator_id"], ["indicators.id"], name=op.f(
            "fk_indicator_official_series_indicator_id_indicators")),
        sa.ForeignKeyConstraint(["uploaded_by"], ["actors.id"], name=op.f(
            "fk_indicator_official_series_uploaded_by_actors")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator_official_series")),
        sa.UniqueConstraint("indicator_id",
                            name=op.f("uq_indicator_official_series_indicator_id")),
    )
    op.create_table(
        "public_dashboards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("indicator_ids", JSON, nullable=False),
        sa.Column("allowed_origins", JSON, nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=True),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"],
                                name=op.f("fk_public_dashboards_project_id_projects")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_public_dashboards")),
        sa.UniqueConstraint("slug", name=op.f("uq_public_dashboards_slug")),
    )
    op.create_index("ix_public_dashboards_project", "public_dashboards", ["project_id"])
    op.create_table(
        "approved_quotes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=500), nullable=False),
        sa.Column("goal", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("approved_by", sa.Integer(), nullable=True),
        sa.Column("approved_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["approved_by"], ["actors.id"],
                                name=op.f("fk_approved_quotes_approved_by_actors")),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"],
                                name=op.f("fk_approved_quotes_project_id_projects")),
        sa.ForeignKeyConstraint(["submission_id"], ["submissions.id"],
                                name=op.f("fk_approved_quotes_submission_id_submissions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approved_quotes")),
    )
    op.create_index(op.f("ix_approved_quotes_project_id"), "approved_quotes", ["project_id"])
    op.create_table(
        "area_boundaries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("match", sa.String(length=100), nullable=False),
        sa.Column("geojson", JSON, nullable=False),
        sa.Column("uploaded_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"],
                                name=op.f("fk_area_boundaries_project_id_projects")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_area_boundaries")),
        sa.UniqueConstraint("project_id", name=op.f("uq_area_boundaries_project_id")),
    )


def downgrade() -> None:
    op.drop_table("area_boundaries")
    op.drop_index(op.f("ix_approved_quotes_project_id"), table_name="approved_quotes")
    op.drop_table("approved_quotes")
    op.drop_index("ix_public_dashboards_project", table_name="public_dashboards")
    op.drop_table("public_dashboards")
    op.drop_table("indicator_official_series")
    op.drop_table("indicator_cells")
    op.drop_index(op.f("ix_indicator_contributions_submission_id"),
                  table_name="indicator_contributions")
    op.drop_table("indicator_contributions")
    op.drop_index(op.f("ix_indicators_form_id"), table_name="indicators")
    op.drop_index(op.f("ix_indicators_project_id"), table_name="indicators")
    op.drop_table("indicators")
    with op.batch_alter_table("form_versions") as batch:
        batch.drop_column("indicators")

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

from migrations.helpers import JSON, TS, create_index, create_table, drop_index, fk, unique

revision = "0009_indicators"
down_revision = "0008_citizens"
branch_labels = None
depends_on = None

DIMS = ("d0", "d1", "d2", "d3", "d4")


def _dims() -> list[sa.Column]:
    return [sa.Column(d, sa.String(length=100), nullable=False) for d in DIMS]


def upgrade() -> None:
    with op.batch_alter_table("form_versions") as batch:
        batch.add_column(sa.Column("indicators", JSON, nullable=False,
                                   server_default=sa.text("'[]'")))
    create_table(
        "indicators",
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
        fk("indicators", "form_id", "forms"),
        fk("indicators", "project_id", "projects"),
        unique("indicators", "project_id", "code"),
    )
    create_index("indicators", "project_id")
    create_index("indicators", "form_id")
    create_table(
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
        fk("indicator_contributions", "indicator_id", "indicators"),
        fk("indicator_contributions", "submission_id", "submissions"),
        primary_key=["indicator_id", "submission_id"],
    )
    create_index("indicator_contributions", "submission_id")
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
        fk("indicator_cells", "indicator_id", "indicators"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator_cells")),
        sa.UniqueConstraint("indicator_id", "month", "review_state", *DIMS,
                            name="uq_indicator_cells_key"),
    )
    create_table(
        "indicator_official_series",
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=255), nullable=True),
        sa.Column("columns", JSON, nullable=False),
        sa.Column("rows", JSON, nullable=False),
        sa.Column("csv", sa.Text(), nullable=False),
        sa.Column("uploaded_by", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", TS, nullable=False),
        fk("indicator_official_series", "indicator_id", "indicators"),
        fk("indicator_official_series", "uploaded_by", "actors"),
        unique("indicator_official_series", "indicator_id"),
    )
    create_table(
        "public_dashboards",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("indicator_ids", JSON, nullable=False),
        sa.Column("allowed_origins", JSON, nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=True),
        fk("public_dashboards", "project_id", "projects"),
        unique("public_dashboards", "slug"),
    )
    op.create_index("ix_public_dashboards_project", "public_dashboards", ["project_id"])
    create_table(
        "approved_quotes",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=500), nullable=False),
        sa.Column("goal", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("approved_by", sa.Integer(), nullable=True),
        sa.Column("approved_at", TS, nullable=False),
        fk("approved_quotes", "approved_by", "actors"),
        fk("approved_quotes", "project_id", "projects"),
        fk("approved_quotes", "submission_id", "submissions"),
    )
    create_index("approved_quotes", "project_id")
    create_table(
        "area_boundaries",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("match", sa.String(length=100), nullable=False),
        sa.Column("geojson", JSON, nullable=False),
        sa.Column("uploaded_at", TS, nullable=False),
        fk("area_boundaries", "project_id", "projects"),
        unique("area_boundaries", "project_id"),
    )


def downgrade() -> None:
    op.drop_table("area_boundaries")
    drop_index("approved_quotes", "project_id")
    op.drop_table("approved_quotes")
    op.drop_index("ix_public_dashboards_project", table_name="public_dashboards")
    op.drop_table("public_dashboards")
    op.drop_table("indicator_official_series")
    op.drop_table("indicator_cells")
    drop_index("indicator_contributions", "submission_id")
    op.drop_table("indicator_contributions")
    drop_index("indicators", "form_id")
    drop_index("indicators", "project_id")
    op.drop_table("indicators")
    with op.batch_alter_table("form_versions") as batch:
        batch.drop_column("indicators")

"""Indicators over a form's submissions, what each submission contributes, and the rolled-up
cells the series are read from; official series and public dashboards beside them."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import JSONType, UTCDateTime, utcnow

INDICATOR_SOURCES = ("api", "xlsform")
# Dimension columns of contributions and cells: an indicator's disaggregations in order.
DIMENSION_COLUMNS = ("d0", "d1", "d2", "d3", "d4")


class Indicator(db.Model):
    """One declared indicator (forms.indicators.IndicatorSpec, stored as its JSON)."""

    __tablename__ = "indicators"
    __table_args__ = (UniqueConstraint("project_id", "code"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("forms.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    sdg: Mapped[str] = mapped_column(String(24))
    kind: Mapped[str] = mapped_column(String(16))
    # The whole declaration as the API writes it (spec.to_json()).
    definition: Mapped[dict] = mapped_column(JSONType, default=dict)
    # Where it was declared: the API/web app, or the form's XLSForm `indicators` sheet.
    source: Mapped[str] = mapped_column(String(8), default="api")
    # Bumped at every change of definition; contributions remember the one they used.
    revision: Mapped[int] = mapped_column(Integer, default=1)
    # Set while contributions are being recomputed for a new revision.
    rebuilding: Mapped[bool] = mapped_column(Boolean, default=False)
    # Submissions whose expressions failed to evaluate (counted nowhere), and the last error.
    errors: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class IndicatorContribution(db.Model):
    """What one submission (its current version) adds to one indicator; a row exists only
    while the submission is in the indicator's population."""

    __tablename__ = "indicator_contributions"
    # Keyed submission first: one index serves "this submission's rows" (reviews, erasure,
    # the pipeline's batch) and "this row"; series never read contributions (cells).
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id"), primary_key=True)
    submission_def_id: Mapped[int] = mapped_column(Integer)
    revision: Mapped[int] = mapped_column(Integer)
    review_state: Mapped[str] = mapped_column(String(20))
    month: Mapped[int] = mapped_column(Integer)  # yyyymm
    d0: Mapped[str] = mapped_column(String(100), default="")
    d1: Mapped[str] = mapped_column(String(100), default="")
    d2: Mapped[str] = mapped_column(String(100), default="")
    d3: Mapped[str] = mapped_column(String(100), default="")
    d4: Mapped[str] = mapped_column(String(100), default="")
    num: Mapped[float] = mapped_column(Float)
    num2: Mapped[float] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)


class IndicatorCell(db.Model):
    """The contributions summed by month, review state and every dimension: what series
    GROUP BY, kept current by the same transactions that change contributions. A missing
    dimension value is stored as '' (NULLs never collide in a unique key)."""

    __tablename__ = "indicator_cells"
    __table_args__ = (UniqueConstraint("indicator_id", "month", "review_state", *DIMENSION_COLUMNS,
                                       name="uq_indicator_cells_key"),)
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id"))
    month: Mapped[int] = mapped_column(Integer)
    review_state: Mapped[str] = mapped_column(String(20))
    d0: Mapped[str] = mapped_column(String(100), default="")
    d1: Mapped[str] = mapped_column(String(100), default="")
    d2: Mapped[str] = mapped_column(String(100), default="")
    d3: Mapped[str] = mapped_column(String(100), default="")
    d4: Mapped[str] = mapped_column(String(100), default="")
    n: Mapped[int] = mapped_column(Integer, default=0)
    num: Mapped[float] = mapped_column(Float, default=0.0)
    num2: Mapped[float] = mapped_column(Float, default=0.0)


class OfficialSeries(db.Model):
    """A government's own series for an indicator, uploaded as Open SDG CSV (the latest
    upload replaces the one before)."""

    __tablename__ = "indicator_official_series"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id"), unique=True)
    source: Mapped[str | None] = mapped_column(String(255), nullable=True)
    columns: Mapped[list] = mapped_column(JSONType, default=list)
    rows: Mapped[list] = mapped_column(JSONType, default=list)
    csv: Mapped[str] = mapped_column(Text)
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("actors.id"), nullable=True)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PublicDashboard(db.Model):
    """A read-only dashboard anyone may see at /p/{slug}, of chosen indicators, suppressed."""

    __tablename__ = "public_dashboards"
    __table_args__ = (Index("ix_public_dashboards_project", "project_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(255))
    indicator_ids: Mapped[list] = mapped_column(JSONType, default=list)
    # Origins (scheme://host[:port]) that may embed it: CORS answers them alone.
    allowed_origins: Mapped[list] = mapped_column(JSONType, default=list)
    published: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ApprovedQuote(db.Model):
    """A free-text answer the classifier tied to a goal, approved by a manager for the
    project's own dashboard (never a public one); `text` is what they approved (shortened or
    redacted as they saw fit)."""

    __tablename__ = "approved_quotes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"))
    field: Mapped[str] = mapped_column(String(500))
    goal: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("actors.id"), nullable=True)
    approved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AreaBoundaries(db.Model):
    """The project's map: GeoJSON polygons of its areas, matched to the area answers by the
    feature property `match` (e.g. a county's name as the form's choices spell it)."""

    __tablename__ = "area_boundaries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), unique=True)
    match: Mapped[str] = mapped_column(String(100))
    geojson: Mapped[dict] = mapped_column(JSONType, default=dict)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

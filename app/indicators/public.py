"""Public dashboards: a manager picks indicators and publishes them under a slug; anyone
may read them, suppressed, and the sites the manager allows may embed them (CORS)."""
from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select

from app import problems
from app.extensions import db
from app.models import Indicator, PublicDashboard
from app.models.base import utcnow

_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,62}[a-z0-9])$")


def by_slug(slug: str) -> PublicDashboard | None:
    board = db.session.scalar(select(PublicDashboard).where(PublicDashboard.slug == slug))
    return board if board is not None and board.published else None


def list_boards(project_id: int) -> list[PublicDashboard]:
    return list(db.session.scalars(select(PublicDashboard).where(
        PublicDashboard.project_id == project_id).order_by(PublicDashboard.id)))


def get_board(project_id: int, board_id: int) -> PublicDashboard | None:
    return db.session.scalar(select(PublicDashboard).where(
        PublicDashboard.project_id == project_id, PublicDashboard.id == board_id))


def save(project_id: int, body: dict[str, Any], board: PublicDashboard | None = None
         ) -> PublicDashboard:
    """Create (board None) or change a dashboard from an API body."""
    if board is None:
        board = PublicDashboard(project_id=project_id, created_at=utcnow(), published=True,
                                indicator_ids=[], allowed_origins=[])
        for required in ("slug", "title"):
            if not body.get(required):
                raise problems.missing_parameter(required)
    if "slug" in body:
        slug = str(body["slug"]).strip().lower()
        if not _SLUG.match(slug):
            raise problems.unexpected_value("slug", body["slug"], "use 3-64 lower-case "
                                            "letters, digits and '-'")
        taken = db.session.scalar(select(PublicDashboard.id).where(
            PublicDashboard.slug == slug))
        if taken is not None and taken != board.id:
            raise problems.uniqueness_violation("slug", slug)
        board.slug = slug
    if "title" in body:
        if not isinstance(body["title"], str) or not body["title"].strip():
            raise problems.unexpected_value("title", body["title"], "must be text")
        board.title = body["title"].strip()[:255]
    if "indicators" in body:
        board.indicator_ids = _indicators(project_id, body["indicators"])
    if "allowedOrigins" in body:
        board.allowed_origins = _origins(body["allowedOrigins"])
    if "published" in body:
        board.published = bool(body["published"])
    board.updated_at = utcnow()
    db.session.add(board)
    db.session.flush()
    return board


def _indicators(project_id: int, value: Any) -> list[int]:
    if not isinstance(value, list) or not all(isinstance(v, int) for v in value):
        raise problems.unexpected_value("indicators", value, "must be a list of indicator ids")
    known = set(db.session.scalars(select(Indicator.id).where(
        Indicator.project_id == project_id, Indicator.id.in_(value or [-1]))))
    missing = [v for v in value if v not in known]
    if missing:
        raise problems.unexpected_value("indicators", missing, "not indicators of this project")
    return list(dict.fromkeys(value))


def _origins(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise problems.unexpected_value("allowedOrigins", value, "must be a list of origins")
    out = []
    for origin in value:
        parts = urlsplit(str(origin))
        if parts.scheme not in ("http", "https") or not parts.netloc or \
                parts.path not in ("", "/") or parts.query or parts.fragment:
            raise problems.unexpected_value("allowedOrigins", origin,
                                            "an origin is scheme://host[:port], no path")
        out.append(f"{parts.scheme}://{parts.netloc.lower()}")
    return list(dict.fromkeys(out))


def delete(board: PublicDashboard) -> None:
    db.session.delete(board)
    db.session.flush()

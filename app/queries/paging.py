"""One page of a query's rows and how many rows it has in all (X-Total-Count)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.sql import ColumnElement

from app.extensions import db


def page_of(query: Select, order_by: tuple[ColumnElement[Any], ...], limit: int,
            offset: int) -> tuple[list[Any], int]:
    """The rows of `query` in `order_by` order from `offset`, at most `limit`, and the total."""
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.session.scalars(query.order_by(*order_by).limit(limit).offset(offset))
    return list(rows), total

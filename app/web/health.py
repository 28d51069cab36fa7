"""Liveness and readiness for operators and load balancers."""
from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text

from app.extensions import db

health = Blueprint("health", __name__)


@health.get("/health")
def check():
    """Is the database reachable? (The pipeline adds its queue depth here.)"""
    db.session.execute(text("SELECT 1"))
    return jsonify({"status": "ok", "database": db.engine.dialect.name})

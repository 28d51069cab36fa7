"""Liveness and readiness for operators and load balancers."""
from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text

from app.extensions import db

health = Blueprint("health", __name__)


@health.get("/health")
def check():
    """Is the database reachable? How deep are the pipeline's queues, what failed, what waits?"""
    db.session.execute(text("SELECT 1"))
    from app.pipeline.status import pipeline_status

    pipeline = pipeline_status()
    status = "ok" if pipeline.get("redis") != "unreachable" else "degraded"
    return jsonify({"status": status, "database": db.engine.dialect.name, "pipeline": pipeline})

"""Liveness and readiness for operators and load balancers."""
from __future__ import annotations

from flask import Blueprint, jsonify
from redis.exceptions import RedisError
from sqlalchemy import text

from app import quarantine
from app.extensions import db

health = Blueprint("health", __name__)


@health.get("/health")
def check():
    """Is the database reachable? How deep are the pipeline's queues, what failed, what waits,
    what is quarantined?"""
    db.session.execute(text("SELECT 1"))
    from app.pipeline.status import pipeline_status

    pipeline = pipeline_status()
    status = "ok" if pipeline.get("redis") != "unreachable" else "degraded"
    body = {"status": status, "database": db.engine.dialect.name, "pipeline": pipeline}
    if pipeline.get("redis") == "ok":
        # Jobs set aside after crashing or killing their worker twice (app/quarantine.py):
        # pipeline rows, SMS sends, webhook deliveries, exports; `retry-failed` runs them.
        try:
            body["quarantined"] = quarantine.counts()
        except RedisError:
            body["status"] = "degraded"
    return jsonify(body)

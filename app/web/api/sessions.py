"""Log in and out: `POST /v1/sessions` gives a bearer token, as Central does."""
from __future__ import annotations

from flask import current_app, jsonify, request

from app import problems
from app.extensions import db
from app.services import accounts
from app.web.api import api
from app.web.api.common import iso, json_body, success


@api.post("/sessions")
def create_session():
    body = json_body("email", "password")
    config = current_app.config
    try:
        user = accounts.authenticate(
            str(body["email"]), str(body["password"]), request.remote_addr or "-",
            max_failures=config["LOGIN_MAX_FAILURES"],
            lockout_seconds=config["LOGIN_LOCKOUT_SECONDS"],
        )
    except accounts.LoginThrottled as throttled:
        db.session.commit()
        response = jsonify(problems.too_many_attempts(throttled.retry_after).to_json())
        response.status_code = 429
        response.headers["Retry-After"] = str(throttled.retry_after)
        return response
    if user is None:
        db.session.commit()  # keep the failure count
        raise problems.authentication_failed()
    token, row = accounts.open_session(user.actor_id, config["SESSION_LIFETIME_SECONDS"])
    db.session.commit()
    return jsonify({"createdAt": iso(row.created_at), "expiresAt": iso(row.expires_at),
                    "token": token, "csrf": token[:32]})


@api.delete("/sessions/<token>")
def delete_session(token: str):
    if not accounts.close_session(token):
        raise problems.not_found()
    db.session.commit()
    return success()

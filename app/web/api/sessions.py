"""Log in and out: `POST /v1/sessions` gives a bearer token, as Central does."""
from __future__ import annotations

from flask import current_app, jsonify

from app import problems
from app.extensions import db
from app.services import accounts
from app.services.login_throttle import LoginThrottled
from app.web.api.blueprint import api
from app.web.api.common import iso, json_body, success
from app.web.auth import login_guard


@api.post("/sessions")
def create_session():
    body = json_body("email", "password")
    config = current_app.config
    email = str(body["email"])
    try:
        user = accounts.authenticate(email, str(body["password"]), login_guard(email))
    except LoginThrottled as throttled:
        response = jsonify(problems.too_many_attempts(throttled.retry_after).to_json())
        response.status_code = 429
        response.headers["Retry-After"] = str(throttled.retry_after)
        return response
    if user is None:
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

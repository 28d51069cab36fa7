"""Web users: who am I, and (admins) who else is there."""
from __future__ import annotations

from flask import jsonify
from sqlalchemy import select

from app import problems
from app.extensions import db
from app.models import User
from app.services import accounts
from app.web.api.blueprint import api
from app.web.api.common import extended, json_body, listing
from app.web.api.serializers import actor_json, user_json
from app.web.auth import current_principal, require


@api.get("/users/current")
def current_user():
    principal = current_principal()
    user = db.session.get(User, principal.actor.id)
    body = user_json(user) if user else actor_json(principal.actor)
    if extended():
        body["verbs"] = sorted(
            {"project.create", "user.create"} if principal.is_admin else set())
    return jsonify(body)


@api.get("/users")
def list_users():
    require("user.list")
    users = db.session.scalars(select(User).order_by(User.email)).all()
    return listing([user_json(u) for u in users])


@api.post("/users")
def create_user():
    require("user.create")
    body = json_body("email")
    if accounts.find_user(str(body["email"])):
        raise problems.uniqueness_violation("email", str(body["email"]))
    try:
        user = accounts.create_user(str(body["email"]), body.get("password"))
    except ValueError as error:
        raise problems.Problem(400.21, "The password or passphrase provided does not meet the "
                                      f"required length ({error}).") from None
    db.session.commit()
    return jsonify(user_json(user))

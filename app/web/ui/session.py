"""Who is signed in to the web app: a signed cookie carrying a server-side session's token.

The token is a row of the same `sessions` table as the API's bearer tokens (stored hashed),
so a session can be revoked: signing out deletes it, "sign out everywhere" deletes all of the
user's. The cookie is HttpOnly, SameSite=Lax, and Secure with the `__Host-` prefix when the
server's PUBLIC_URL is https.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, current_app, g, redirect, request, session, url_for
from sqlalchemy import delete

from app.extensions import db
from app.models import Session, User
from app.services import accounts
from app.services.permissions import Principal, principal_for

SESSION_KEY = "sid"


def configure_cookies(app: Flask) -> None:
    """HttpOnly and SameSite=Lax always; Secure with the `__Host-` prefix behind https."""
    secure = str(app.config.get("PUBLIC_URL", "")).startswith("https://")
    app.config.update(
        SESSION_COOKIE_NAME="__Host-datashift" if secure else "datashift_session",
        SESSION_COOKIE_SECURE=secure, SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_PATH="/", SESSION_COOKIE_DOMAIN=None,
        PERMANENT_SESSION_LIFETIME=int(app.config.get("SESSION_LIFETIME_SECONDS", 86400)))


def sign_in(user: User) -> None:
    """A fresh cookie (a new CSRF token too) naming a new server-side session."""
    token, _row = accounts.open_session(user.actor_id,
                                        int(current_app.config["SESSION_LIFETIME_SECONDS"]))
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language
    session[SESSION_KEY] = token
    session.permanent = True


def sign_out(everywhere: bool = False) -> None:
    """End this session (or every session of its user, API tokens included)."""
    token = session.get(SESSION_KEY)
    principal = g.get("principal")
    if everywhere and principal is not None:
        db.session.execute(delete(Session).where(Session.actor_id == principal.actor.id))
    elif token:
        accounts.close_session(token)
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language


def load_principal() -> Principal | None:
    """The signed-in web user, or None; a revoked or expired session clears the cookie."""
    token = session.get(SESSION_KEY)
    principal = None
    if token:
        actor = accounts.session_actor(token)
        principal = principal_for(actor) if actor is not None and actor.type == "user" else None
        if principal is None:
            session.pop(SESSION_KEY, None)
    g.principal = principal  # app.web.auth.require and the API's checks read it from here
    return principal


def public(view):
    """Mark a page anyone may see without signing in."""
    view.ui_public = True
    return view


def safe_next(target: str | None) -> str:
    """A local path to go back to after signing in; anything else goes home."""
    if not target:
        return url_for("ui.home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("ui.home")
    return target


def require_sign_in():
    """Load the principal; send the anonymous to the sign-in page unless the page is public."""
    principal = load_principal()
    view = current_app.view_functions.get(request.endpoint or "")
    if principal is None and not getattr(view, "ui_public", False):
        return redirect(url_for("ui.login", next=request.full_path.rstrip("?")))
    return None


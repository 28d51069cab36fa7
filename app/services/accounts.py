"""Users, passwords and sessions (login throttling: app.services.login_throttle)."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete, select
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.models import Actor, Session, User
from app.models.base import utcnow
from app.services.login_throttle import LoginGuard

MIN_PASSWORD_LENGTH = 10
# The HTTP Digest realm ODK Collect authenticates against; HA1 values depend on it.
DIGEST_REALM = "DataShift Collect"


def hash_token(token: str) -> str:
    """Tokens are stored as SHA-256: high-entropy secrets need no slow hash."""
    return hashlib.sha256(token.encode()).hexdigest()


def digest_ha1(email: str, password: str) -> str:
    """MD5(email:realm:password): lets Collect log in with Digest without storing the password."""
    return hashlib.md5(f"{email}:{DIGEST_REALM}:{password}".encode()).hexdigest()


def create_user(email: str, password: str | None, *, admin: bool = False,
                display_name: str | None = None) -> User:
    """A web user; the password is hashed with werkzeug's scrypt."""
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"password must be at least {MIN_PASSWORD_LENGTH} characters")
    actor = Actor(type="user", display_name=display_name or email)
    db.session.add(actor)
    db.session.flush()
    email = email.strip().lower()
    user = User(actor_id=actor.id, email=email, is_admin=admin,
                password_hash=generate_password_hash(password, method="scrypt")
                if password else None,
                digest_ha1=digest_ha1(email, password) if password else None)
    db.session.add(user)
    db.session.flush()
    return user


def list_users() -> list[User]:
    """Live web users by email."""
    return list(db.session.scalars(select(User).join(Actor, Actor.id == User.actor_id)
                                   .where(Actor.deleted_at.is_(None)).order_by(User.email)))


def find_user(email: str) -> User | None:
    return db.session.scalar(
        select(User).join(Actor, Actor.id == User.actor_id)
        .where(User.email == email.strip().lower(), Actor.deleted_at.is_(None))
    )


def authenticate(email: str, password: str, guard: LoginGuard) -> User | None:
    """Check a password; `guard` refuses first (LoginThrottled) and counts a failure."""
    guard.check()
    user = find_user(email)
    if user is not None and check_password(user, password):
        guard.succeeded()
        return user
    guard.failed()
    return None


def open_session(actor_id: int, lifetime_seconds: int) -> tuple[str, Session]:
    """A new bearer token (returned once, in clear) and its stored row."""
    token = secrets.token_urlsafe(48)
    now = utcnow()
    row = Session(token_hash=hash_token(token), actor_id=actor_id, created_at=now,
                  expires_at=now + timedelta(seconds=lifetime_seconds))
    db.session.add(row)
    return token, row


def session_actor(token: str) -> Actor | None:
    row = db.session.get(Session, hash_token(token))
    if row is None or row.expires_at <= utcnow():
        return None
    actor = db.session.get(Actor, row.actor_id)
    return actor if actor and actor.deleted_at is None else None


def close_session(token: str) -> bool:
    result = db.session.execute(delete(Session).where(Session.token_hash == hash_token(token)))
    return bool(result.rowcount)


def check_password(user: User, password: str) -> bool:
    return bool(user.password_hash) and check_password_hash(user.password_hash, password)

"""Who acts: web users, app users (Collect devices) and their roles, as ODK Central models them."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow

# Central's role system names; "formfill" is what the UI calls a Data Collector.
PROJECT_ROLES = ("manager", "viewer", "formfill")


class Actor(db.Model):
    """Anyone who can act: ids are shared by web users and app users (Central's actors)."""

    __tablename__ = "actors"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # "user" | "field_key" | "sync_link" | "remote" (a person of another server) | "channel"
    # (an SMS/USSD/WhatsApp channel, the submitter of what citizens send through it): the last
    # two never log in (app.services.permissions.principal_for).
    type: Mapped[str] = mapped_column(String(20))
    display_name: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class User(db.Model):
    """A web user: staff who log in with email and password."""

    __tablename__ = "users"
    actor_id: Mapped[int] = mapped_column(ForeignKey("actors.id"), primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    # MD5(email:realm:password) for HTTP Digest (ODK Collect); scrypt hashes cannot do Digest.
    digest_ha1: Mapped[str | None] = mapped_column(String(32), nullable=True)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    actor: Mapped[Actor] = relationship(lazy="joined")


class AppUser(db.Model):
    """A Collect device's credential: a project-bound token, revocable."""

    __tablename__ = "app_users"
    actor_id: Mapped[int] = mapped_column(ForeignKey("actors.id"), primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("actors.id"), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    actor: Mapped[Actor] = relationship(lazy="joined", foreign_keys=[actor_id])


class ProjectRole(db.Model):
    """A web user's role on one project."""

    __tablename__ = "project_roles"
    __table_args__ = (UniqueConstraint("actor_id", "project_id", "role"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("actors.id"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))


class FormAssignment(db.Model):
    """An app user allowed to see and fill one form (Central's form assignments)."""

    __tablename__ = "form_assignments"
    __table_args__ = (UniqueConstraint("actor_id", "form_id", "role"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("actors.id"), index=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("forms.id"), index=True)
    role: Mapped[str] = mapped_column(String(20), default="app-user")


class Session(db.Model):
    """A bearer token, stored as its SHA-256 so a database leak gives no live tokens."""

    __tablename__ = "sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("actors.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LoginAttempt(db.Model):
    """Failed logins per key (account or address), for throttling across server processes."""

    __tablename__ = "login_attempts"
    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    first_failure_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

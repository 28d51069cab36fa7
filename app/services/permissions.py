"""What each role may do, as a literal table of verbs (ODK Central's role system)."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from app.extensions import db
from app.models import Actor, AppUser, FormAssignment, ProjectRole, SyncLink, User

_READ = {"project.read", "form.list", "form.read", "submission.read", "submission.list",
         "indicator.read"}
ROLE_VERBS: dict[str, frozenset[str]] = {
    "manager": frozenset(_READ | {
        "project.update", "form.create", "form.update", "form.delete", "submission.create",
        "submission.update", "assignment.create", "assignment.delete", "field_key.create",
        "field_key.list", "field_key.delete", "channel.manage", "message.read",
        "submission.read_personal", "webhook.manage", "sync_link.manage",
        # Declare indicators and publish dashboards; see every number, unsuppressed.
        "indicator.manage",
    }),
    "viewer": frozenset(_READ),
    # A data collector fills forms in the browser and Collect; it reads no submissions.
    "formfill": frozenset({"project.read", "form.list", "form.read", "submission.create"}),
    # An app user sees only the forms it is assigned to (checked per form).
    "app-user": frozenset({"form.list", "form.read", "submission.create"}),
    # A field office's sync link: forms down; submissions, reviews and comments up.
    "sync": frozenset({"project.read", "form.list", "form.read", "submission.create",
                       "submission.list", "submission.read", "submission.update", "sync.push"}),
}
SITE_VERBS = frozenset({"project.create", "project.list_all", "user.create", "user.list"})
# Actors that only stand for someone or something in the data: never a principal.
NO_LOGIN_TYPES = frozenset({"remote", "channel"})


@dataclass
class Principal:
    """The authenticated caller and what it may do, resolved once per request."""

    actor: Actor
    is_admin: bool = False
    app_user: AppUser | None = None
    sync_link: SyncLink | None = None
    roles: dict[int, set[str]] = field(default_factory=dict)

    def can(self, verb: str, project_id: int | None = None) -> bool:
        if self.is_admin:
            return True
        if project_id is None:
            return False
        return any(verb in ROLE_VERBS[r] for r in self.roles.get(project_id, ()))

    def can_form(self, verb: str, project_id: int, form_id: int) -> bool:
        """App users are limited to their assigned forms; everyone else by project role."""
        if self.app_user is not None:
            if self.app_user.project_id != project_id or verb not in ROLE_VERBS["app-user"]:
                return False
            return db.session.scalar(select(FormAssignment.id).where(
                FormAssignment.actor_id == self.actor.id, FormAssignment.form_id == form_id
            )) is not None
        return self.can(verb, project_id)

    @property
    def project_ids(self) -> set[int]:
        return set(self.roles)


def principal_for(actor: Actor) -> Principal | None:
    """Load the roles of a live actor; None for a revoked app user or sync link, a deleted
    actor, or an actor that cannot log in: a person known only from another server
    (`remote`) or an SMS/USSD/WhatsApp channel (`channel`, the submitter of its surveys)."""
    if actor.deleted_at is not None or actor.type in NO_LOGIN_TYPES:
        return None
    if actor.type == "sync_link":
        link = db.session.get(SyncLink, actor.id)
        if link is None or link.revoked_at is not None:
            return None
        return Principal(actor=actor, sync_link=link, roles={link.project_id: {"sync"}})
    if actor.type == "field_key":
        app_user = db.session.get(AppUser, actor.id)
        if app_user is None or app_user.revoked_at is not None:
            return None
        return Principal(actor=actor, app_user=app_user,
                         roles={app_user.project_id: {"app-user"}})
    user = db.session.get(User, actor.id)
    roles: dict[int, set[str]] = {}
    for project_id, role in db.session.execute(
        select(ProjectRole.project_id, ProjectRole.role).where(ProjectRole.actor_id == actor.id)
    ):
        roles.setdefault(project_id, set()).add(role)
    return Principal(actor=actor, is_admin=bool(user and user.is_admin), roles=roles)

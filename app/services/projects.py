"""Projects and the roles people hold on them."""
from __future__ import annotations

from sqlalchemy import func, select

from app import problems
from app.extensions import db
from app.models import PROJECT_ROLES, AppUser, Audit, Form, Project, ProjectRole, Submission
from app.models.base import utcnow
from app.services.permissions import Principal


def create_project(name: str, description: str | None = None) -> Project:
    project = Project(name=name.strip(), description=description, settings={})
    db.session.add(project)
    db.session.flush()
    return project


def visible_projects(principal: Principal) -> list[Project]:
    """Admins see every project; others those they hold a role on."""
    query = select(Project).where(Project.deleted_at.is_(None)).order_by(Project.name)
    if not principal.is_admin:
        query = query.where(Project.id.in_(principal.project_ids or {-1}))
    return list(db.session.scalars(query))


def get_project(project_id: int) -> Project | None:
    project = db.session.get(Project, project_id)
    return project if project is not None and project.deleted_at is None else None


def assign_role(project_id: int, actor_id: int, role: str,
                by: int | None = None) -> ProjectRole:
    """Give a role (idempotent); audited as Central does (`user.assignment.create`) when `by`,
    the actor who gave it, is known."""
    if role not in PROJECT_ROLES:
        raise ValueError(f"unknown role {role!r}; expected one of {', '.join(PROJECT_ROLES)}")
    existing = db.session.scalar(select(ProjectRole).where(
        ProjectRole.project_id == project_id, ProjectRole.actor_id == actor_id,
        ProjectRole.role == role))
    if existing:
        return existing
    row = ProjectRole(project_id=project_id, actor_id=actor_id, role=role)
    db.session.add(row)
    _audit_assignment("user.assignment.create", project_id, actor_id, role, by)
    db.session.flush()
    return row


def remove_role(project_id: int, actor_id: int, role: str, by: int | None = None) -> bool:
    """Take a role away; -> whether there was one. Audited (`user.assignment.delete`)."""
    row = db.session.scalar(select(ProjectRole).where(
        ProjectRole.project_id == project_id, ProjectRole.actor_id == actor_id,
        ProjectRole.role == role))
    if row is None:
        return False
    db.session.delete(row)
    _audit_assignment("user.assignment.delete", project_id, actor_id, role, by)
    db.session.flush()
    return True


def _audit_assignment(action: str, project_id: int, actor_id: int, role: str,
                      by: int | None) -> None:
    if by is not None:
        db.session.add(Audit(actor_id=by, action=action, project_id=project_id,
                             details={"actorId": actor_id, "role": role}))


def assignments(project_id: int) -> list[ProjectRole]:
    """The project's web-user roles, by role then actor."""
    return list(db.session.scalars(select(ProjectRole).where(
        ProjectRole.project_id == project_id).order_by(ProjectRole.role, ProjectRole.actor_id)))


def roles_of(actor_ids: list[int]) -> dict[int, list[tuple[int, str]]]:
    """(project id, role) pairs per web user."""
    out: dict[int, list[tuple[int, str]]] = {a: [] for a in actor_ids}
    for actor_id, project_id, role in db.session.execute(
            select(ProjectRole.actor_id, ProjectRole.project_id, ProjectRole.role)
            .where(ProjectRole.actor_id.in_(actor_ids or [-1]))
            .order_by(ProjectRole.project_id, ProjectRole.role)):
        out[actor_id].append((project_id, role))
    return out


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


def _threshold(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 2 <= value <= 100:
        raise ValueError("a whole number 2-100")
    return value


def _area(value: object) -> str:
    if not isinstance(value, str) or len(value) > 32:
        raise ValueError("an SDMX area code")
    return value.strip()


# The project settings the API may set, each with its check (ValueError says what is wanted):
# allowPhoneNumbers keeps phone answers clear in cleaned records and SMS surveys (no
# representation shows them: app.services.personal_data); smallCellThreshold (k of small-cell
# suppression) and refArea (the SDMX REF_AREA code of the project's country, e.g. M49 404)
# serve the indicators.
SETTINGS = {"allowPhoneNumbers": _flag, "smallCellThreshold": _threshold, "refArea": _area}


def update_settings(project: Project, changes: object, actor_id: int | None) -> Project:
    """Validate and apply `settings` from the API (unknown keys and bad values are 400s
    naming them), and audit the change: who allowed clear phone numbers, and when."""
    if not isinstance(changes, dict):
        raise problems.unexpected_value("settings", changes, "must be an object")
    checked = {}
    for name, value in changes.items():
        if name not in SETTINGS:
            raise problems.unexpected_value(f"settings.{name}", value,
                                            f"known settings: {', '.join(SETTINGS)}")
        try:
            checked[name] = SETTINGS[name](value)
        except ValueError as error:
            raise problems.unexpected_value(f"settings.{name}", value, str(error)) from None
    before = {k: (project.settings or {}).get(k) for k in checked}
    project.settings = {**(project.settings or {}), **checked}
    db.session.add(Audit(actor_id=actor_id, action="project.update", project_id=project.id,
                         details={"settings": checked, "before": before}))
    return project


def update_project(project: Project, **fields: object) -> Project:
    for key in ("name", "description", "archived"):
        if key in fields and fields[key] is not None:
            setattr(project, key, fields[key])
    project.updated_at = utcnow()
    return project


def update_indicator_settings(project: Project, settings: dict) -> None:
    """`smallCellThreshold` (k of small-cell suppression, 2-100) and `refArea` (the SDMX
    REF_AREA code of the project's country, e.g. M49 404), kept in the project's settings."""
    from app import problems

    changes = {}
    if "smallCellThreshold" in settings:
        k = settings["smallCellThreshold"]
        if not isinstance(k, int) or isinstance(k, bool) or not 2 <= k <= 100:
            raise problems.unexpected_value("smallCellThreshold", k, "a whole number 2-100")
        changes["smallCellThreshold"] = k
    if "refArea" in settings:
        area = settings["refArea"]
        if not isinstance(area, str) or len(area) > 32:
            raise problems.unexpected_value("refArea", area, "an SDMX area code")
        changes["refArea"] = area.strip()
    if changes:
        project.settings = {**(project.settings or {}), **changes}


def summaries(project_ids: list[int]) -> dict[int, dict]:
    """Per project: live forms, live app users, submissions and the newest one's time."""
    out = {pid: {"forms": 0, "appUsers": 0, "submissions": 0, "lastSubmission": None}
           for pid in project_ids}
    if not project_ids:
        return out
    for pid, count in db.session.execute(
            select(Form.project_id, func.count(Form.id)).where(
                Form.project_id.in_(project_ids), Form.deleted_at.is_(None))
            .group_by(Form.project_id)):
        out[pid]["forms"] = count
    for pid, count in db.session.execute(
            select(AppUser.project_id, func.count(AppUser.actor_id)).where(
                AppUser.project_id.in_(project_ids), AppUser.revoked_at.is_(None))
            .group_by(AppUser.project_id)):
        out[pid]["appUsers"] = count
    for pid, count, newest in db.session.execute(
            select(Form.project_id, func.count(Submission.id), func.max(Submission.created_at))
            .join(Submission, Submission.form_id == Form.id)
            .where(Form.project_id.in_(project_ids), Form.deleted_at.is_(None),
                   Submission.deleted_at.is_(None)).group_by(Form.project_id)):
        out[pid]["submissions"] = count
        out[pid]["lastSubmission"] = newest
    return out



"""Reading forms: by xmlFormId, the list a caller may see, and per-form submission figures."""
from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Row, func, select

from app.extensions import db
from app.models import Actor, Form, FormAssignment, FormVersion, Submission
from app.models.forms import FormState
from app.services.permissions import Principal
from forms.review import ReviewState

LISTED_COLUMNS = (FormVersion.id, FormVersion.name, FormVersion.version, FormVersion.hash,
                  FormVersion.sha256, FormVersion.published_at, FormVersion.sms_keyword,
                  FormVersion.sdg_mapping, FormVersion.validated,
                  FormVersion.xlsform_content_type)


def get_form(project_id: int, xml_form_id: str) -> Form | None:
    """A live (not deleted) form of the project by its xmlFormId."""
    return db.session.scalar(select(Form).where(
        Form.project_id == project_id, Form.xml_form_id == xml_form_id,
        Form.deleted_at.is_(None)))


def visible_forms(principal: Principal, project_id: int) -> Sequence[Row]:
    """One row per form the caller may list, with only the columns a listing shows (no XForm,
    no workbook): managers see drafts; viewers published forms; data collectors and app
    users not closed ones, app users only those assigned to them. Rows carry the attribute
    names of Form and FormVersion (the version's id as `version_id`)."""
    query = (select(Form.id, Form.project_id, Form.xml_form_id, Form.state, Form.created_at,
                    Form.updated_at, Form.created_by, Form.current_version_id,
                    Form.draft_version_id, FormVersion.id.label("version_id"),
                    *LISTED_COLUMNS[1:])
             .outerjoin(FormVersion, FormVersion.id == func.coalesce(
                 Form.current_version_id, Form.draft_version_id))
             .where(Form.project_id == project_id, Form.deleted_at.is_(None)))
    if not principal.can("form.update", project_id):
        query = query.where(Form.current_version_id.is_not(None))
        if not principal.can("submission.read", project_id):
            query = query.where(Form.state != FormState.CLOSED)
    if principal.app_user is not None:
        query = query.where(Form.id.in_(select(FormAssignment.form_id).where(
            FormAssignment.actor_id == principal.actor.id)))
    return db.session.execute(query.order_by(Form.xml_form_id)).all()


def submission_figures(forms: Sequence[Form | Row], project_id: int) -> dict[int, dict]:
    """Per form: {"submissions", "last" (newest created_at), "byState" {state: n}} in one
    query; a submission without a review counts as "received"."""
    ids = [f.id for f in forms]
    out: dict[int, dict] = {fid: {"submissions": 0, "last": None, "byState": {}} for fid in ids}
    if not ids:
        return out
    # A subquery rather than a long IN list: the list of 200 forms stays one cheap statement.
    wanted = ids if len(ids) <= 1 else select(Form.id).where(Form.project_id == project_id)
    for fid, state, count, newest in db.session.execute(
            select(Submission.form_id, Submission.review_state, func.count(Submission.id),
                   func.max(Submission.created_at))
            .where(Submission.form_id.in_(wanted), Submission.deleted_at.is_(None))
            .group_by(Submission.form_id, Submission.review_state)):
        if fid not in out:
            continue
        figures = out[fid]
        key = state or ReviewState.RECEIVED.value  # a JSON key
        figures["byState"][key] = figures["byState"].get(key, 0) + count
        figures["submissions"] += count
        figures["last"] = newest if figures["last"] is None else max(figures["last"], newest)
    return out


def creators(forms: Sequence[Form | Row]) -> dict[int, Actor]:
    ids = {f.created_by for f in forms if f.created_by}
    if not ids:
        return {}
    return {a.id: a for a in db.session.scalars(select(Actor).where(Actor.id.in_(ids)))}

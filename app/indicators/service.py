"""Indicator use cases: declare (API or XLSForm), change, delete, list; JSON shapes."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app import problems
from app.extensions import db
from app.indicators import contributions
from app.indicators.binding import form_model
from app.models import Form, FormVersion, Indicator, OfficialSeries
from app.models.base import utcnow
from app.queries.forms import get_form
from forms.indicators import IndicatorError, IndicatorSpec, bind, spec_from_json


def invalid(error: IndicatorError) -> problems.Problem:
    """400 naming the field of the declaration at fault."""
    return problems.Problem(400.8, error.message, {"field": error.field,
                                                   "reason": error.message})


def list_indicators(project_id: int) -> list[tuple[Indicator, Form]]:
    return list(db.session.execute(
        select(Indicator, Form).join(Form, Form.id == Indicator.form_id)
        .where(Indicator.project_id == project_id, Form.deleted_at.is_(None))
        .order_by(Indicator.id)).all())


def get_indicator(project_id: int, indicator_id: int) -> tuple[Indicator, Form] | None:
    row = db.session.execute(
        select(Indicator, Form).join(Form, Form.id == Indicator.form_id)
        .where(Indicator.project_id == project_id, Indicator.id == indicator_id,
               Form.deleted_at.is_(None))).first()
    return (row[0], row[1]) if row else None


def spec_of(indicator: Indicator) -> IndicatorSpec:
    return spec_from_json(indicator.definition)


def _checked(spec: IndicatorSpec, form: Form) -> None:
    """The spec compiles against the form's current (published) version."""
    version = db.session.get(FormVersion, form.current_version_id) \
        if form.current_version_id else None
    if version is None:
        raise problems.invalid_state(f"The form {form.xml_form_id} has no published version "
                                     "to declare indicators on.")
    try:
        bind(spec, form_model(version.sha256, lambda: version.xml),
             version.disaggregation or {})
    except IndicatorError as error:
        raise invalid(error) from None


def _form(project_id: int, xml_form_id: Any) -> Form:
    if not isinstance(xml_form_id, str) or not xml_form_id:
        raise problems.missing_parameter("form")
    form = get_form(project_id, xml_form_id)
    if form is None:
        raise problems.Problem(400.8, f"The project has no form {xml_form_id!r}.",
                               {"field": "form", "value": xml_form_id})
    return form


def _clash(project_id: int, code: str, indicator_id: int | None = None) -> None:
    existing = db.session.scalar(select(Indicator.id).where(
        Indicator.project_id == project_id, Indicator.code == code))
    if existing is not None and existing != indicator_id:
        raise problems.uniqueness_violation("projectId, code", f"{project_id}, {code}")


def create_indicator(project_id: int, body: dict[str, Any]) -> tuple[Indicator, Form]:
    """A new indicator from an API body; the caller commits, then schedules its rebuild."""
    try:
        spec = spec_from_json(body)
    except IndicatorError as error:
        raise invalid(error) from None
    form = _form(project_id, body.get("form"))
    _checked(spec, form)
    _clash(project_id, spec.code)
    indicator = _new(project_id, form.id, spec, "api")
    return indicator, form


def _new(project_id: int, form_id: int, spec: IndicatorSpec, source: str) -> Indicator:
    indicator = Indicator(project_id=project_id, form_id=form_id, code=spec.code,
                          sdg=spec.sdg, kind=spec.kind, definition=spec.to_json(),
                          source=source, revision=1, rebuilding=True, errors=0,
                          created_at=utcnow())
    db.session.add(indicator)
    db.session.flush()
    return indicator


def update_indicator(indicator: Indicator, form: Form, body: dict[str, Any]
                     ) -> tuple[Indicator, Form, bool]:
    """PATCH: fields absent keep their value; -> (indicator, form, needs a rebuild)."""
    if "form" in body and body["form"] != form.xml_form_id:
        form = _form(indicator.project_id, body["form"])
    try:
        spec = spec_from_json(body, partial_of=spec_of(indicator))
    except IndicatorError as error:
        raise invalid(error) from None
    _checked(spec, form)
    _clash(indicator.project_id, spec.code, indicator.id)
    return indicator, form, _apply(indicator, form.id, spec)


def _apply(indicator: Indicator, form_id: int, spec: IndicatorSpec) -> bool:
    """Store a new definition; -> whether the numbers change (a rebuild is due)."""
    definition = spec.to_json()
    labels_only = {k: v for k, v in definition.items() if k != "labels"} == \
        {k: v for k, v in indicator.definition.items() if k != "labels"}
    changed = form_id != indicator.form_id or not labels_only
    indicator.code, indicator.sdg, indicator.kind = spec.code, spec.sdg, spec.kind
    indicator.definition = definition
    indicator.updated_at = utcnow()
    if changed:
        if form_id != indicator.form_id:
            contributions.clear(indicator.id)
        indicator.form_id = form_id
        indicator.revision += 1
        indicator.rebuilding = True
        indicator.errors, indicator.last_error = 0, None
    db.session.flush()
    return changed


def delete_indicator(indicator: Indicator) -> None:
    from app.models import PublicDashboard

    contributions.clear(indicator.id)
    db.session.execute(OfficialSeries.__table__.delete().where(
        OfficialSeries.indicator_id == indicator.id))
    for board in db.session.scalars(select(PublicDashboard).where(
            PublicDashboard.project_id == indicator.project_id)):
        if indicator.id in (board.indicator_ids or []):
            board.indicator_ids = [i for i in board.indicator_ids if i != indicator.id]
    db.session.delete(indicator)
    db.session.flush()


def sync_from_form(form: Form, version: FormVersion) -> list[int]:
    """A version was published: its XLSForm's indicators become (or stay) live; those an
    earlier version of this form declared and this one drops are deleted. -> ids to
    rebuild. An indicator declared through the API with the same code is left alone
    (409: the coordinator renames one)."""
    declared = [spec_from_json(d) for d in (version.indicators or [])]
    existing = {i.code: i for i in db.session.scalars(select(Indicator).where(
        Indicator.project_id == form.project_id, Indicator.code.in_(
            [s.code for s in declared] or [""])))}
    rebuild: list[int] = []
    for spec in declared:
        indicator = existing.get(spec.code)
        if indicator is None:
            rebuild.append(_new(form.project_id, form.id, spec, "xlsform").id)
        elif indicator.source != "xlsform" or indicator.form_id != form.id:
            raise problems.uniqueness_violation(
                "projectId, code", f"{form.project_id}, {spec.code} (an indicator declared "
                "elsewhere; rename one)")
        elif _apply(indicator, form.id, spec):
            rebuild.append(indicator.id)
    codes = {s.code for s in declared}
    for stale in db.session.scalars(select(Indicator).where(
            Indicator.form_id == form.id, Indicator.source == "xlsform")):
        if stale.code not in codes:
            delete_indicator(stale)
    return rebuild

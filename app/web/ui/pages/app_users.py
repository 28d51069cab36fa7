"""App users (ODK Collect devices): create one and show its QR code once, assign forms,
revoke. The token is shown only in the page that answers the POST that made it: never in a
URL, never again."""
from __future__ import annotations

import io

import qrcode
import qrcode.image.svg
from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup

from app.extensions import db
from app.queries import forms as form_queries
from app.services import app_users as service
from app.web.access import form_for, project_or_404, project_row_or_404
from app.web.ui.blueprint import ui
from app.web.ui.nav import project_tab

BASE = "/projects/<int:project_id>/app-users"
project_tab("app-users", lambda: _("App users"), "ui.app_users", verb="field_key.list", order=20)


def qr_svg(payload: str, title: str) -> Markup:
    """The QR code as inline SVG (no image URL that could carry the token)."""
    code = qrcode.QRCode(border=2, error_correction=qrcode.constants.ERROR_CORRECT_L)
    code.add_data(payload)
    out = io.BytesIO()
    code.make_image(image_factory=qrcode.image.svg.SvgPathImage).save(out)
    svg = out.getvalue().decode()
    svg = svg[svg.index("<svg"):]
    svg = svg.replace("<svg ", f'<svg class="qr" role="img" aria-label="{Markup.escape(title)}" ',
                      1)
    return Markup(svg)


def _page(project, created=None):
    principal = g.principal
    app_users = service.list_app_users(project.id)
    assigned: dict[int, set[str]] = {}
    for actor_id, xml_form_id in service.form_assignments(project.id):
        assigned.setdefault(actor_id, set()).add(xml_form_id)
    forms = [f for f in form_queries.visible_forms(principal, project.id)
             if f.current_version_id is not None]
    return render_template("ui/app_users.html", project=project, app_users=app_users,
                           assigned=assigned, forms=forms, created=created,
                           can_create=principal.can("field_key.create", project.id),
                           can_assign=principal.can("assignment.create", project.id),
                           can_revoke=principal.can("field_key.delete", project.id))


@ui.get(BASE)
def app_users(project_id: int):
    return _page(project_or_404(project_id, "field_key.list"))


@ui.post(BASE)
def create_app_user(project_id: int):
    project = project_or_404(project_id, "field_key.create")
    name = request.form.get("displayName", "").strip()
    if not name:
        flash(_("Give the app user a name, such as the volunteer's or the phone's."), "error")
        return redirect(url_for("ui.app_users", project_id=project_id))
    app_user, token = service.create_app_user(project_id, name, g.principal.actor.id)
    wanted = set(request.form.getlist("form"))
    for xml_form_id in sorted(wanted):
        service.assign_form(form_for(project_id, xml_form_id, "assignment.create"),
                            app_user.actor_id, "app-user")
    db.session.commit()
    public_url = current_app.config["PUBLIC_URL"]
    created = {"app_user": app_user, "url": service.collect_url(public_url, token, project_id),
               "qr": qr_svg(service.qr_payload(public_url, token, project),
                            _("QR code for %(name)s", name=name))}
    return _page(project, created)


@ui.post(f"{BASE}/<int:actor_id>/forms")
def assign_forms(project_id: int, actor_id: int):
    app_user = project_row_or_404(project_id, "field_key.list", service.get_app_user, actor_id)
    have = {f for a, f in service.form_assignments(project_id) if a == actor_id}
    wanted = set(request.form.getlist("form"))
    for xml_form_id in sorted(wanted - have):
        service.assign_form(form_for(project_id, xml_form_id, "assignment.create"), actor_id,
                            "app-user")
    for xml_form_id in sorted(have - wanted):
        service.unassign_form(form_for(project_id, xml_form_id, "assignment.delete"), actor_id,
                              "app-user")
    db.session.commit()
    flash(_("Forms of %(name)s saved.", name=app_user.actor.display_name), "ok")
    return redirect(url_for("ui.app_users", project_id=project_id))


@ui.post(f"{BASE}/<int:actor_id>/revoke")
def revoke_app_user(project_id: int, actor_id: int):
    app_user = project_row_or_404(project_id, "field_key.delete", service.get_app_user, actor_id)
    name = app_user.actor.display_name
    service.revoke(app_user)
    db.session.commit()
    flash(_("%(name)s is revoked: its phone can no longer get forms or send.", name=name), "ok")
    return redirect(url_for("ui.app_users", project_id=project_id))

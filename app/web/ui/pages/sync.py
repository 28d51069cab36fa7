"""Sync, for a project's managers: the field offices that send to this project (sync links:
create one and show its token once, revoke), the central servers this project sends to
(pair, and each one's last contact, what waits, conflicts, last error) and the conflicts,
resolved here when this server is the central one."""
from __future__ import annotations

from datetime import datetime

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.models import SyncConflict, SyncPeer
from app.services import sync_links
from app.sync import jobs
from app.sync.peers import PairingError, pair
from app.sync.status import peer_status
from app.web.access import project_or_404, project_row_or_404
from app.web.api.sync_api import conflict_json
from app.web.ui.blueprint import ui
from app.web.ui.nav import project_tab
from app.web.ui.pages.app_users import qr_svg
from sync import conflicts as conflict_service
from sync import errors as ingest_errors
from sync.wire import Refused, WireError

BASE = "/projects/<int:project_id>/sync"
VERB = "sync_link.manage"
project_tab("sync", lambda: _("Sync"), "ui.sync", verb=VERB, order=70)


def _when(iso: str | None) -> datetime | None:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")) if iso else None


def _page(project, created=None):
    peers = [peer_status(p) for p in db.session.scalars(
        select(SyncPeer).where(SyncPeer.project_id == project.id).order_by(SyncPeer.id))]
    for row in peers:
        row["lastContact"], row["lastSuccess"] = (_when(row["lastContactAt"]),
                                                  _when(row["lastSuccessAt"]))
    open_conflicts = [conflict_json(c) for c in db.session.scalars(
        select(SyncConflict).where(SyncConflict.project_id == project.id,
                                   SyncConflict.resolved_at.is_(None))
        .order_by(SyncConflict.id))]
    return render_template("ui/sync.html", project=project,
                           links=sync_links.list_links(project.id), peers=peers,
                           conflicts=open_conflicts, created=created,
                           every=int(current_app.config["SYNC_EVERY_SECONDS"]))


@ui.get(BASE)
def sync(project_id: int):
    return _page(project_or_404(project_id, VERB))


@ui.post(f"{BASE}/links")
def create_sync_link(project_id: int):
    project = project_or_404(project_id, VERB)
    name = request.form.get("displayName", "").strip()
    if not name or len(name) > 255:
        flash(_("Give the field office a name, such as its town."), "error")
        return redirect(url_for("ui.sync", project_id=project_id))
    link, token = sync_links.create_link(project_id, name, g.principal.actor.id)
    db.session.commit()
    url = sync_links.link_url(current_app.config["PUBLIC_URL"], project_id)
    pairing = sync_links.pairing_url(current_app.config["PUBLIC_URL"], project_id, token)
    return _page(project, {"name": name, "command": f"flask sync pair {url} {token}",
                           "url": pairing, "link": link,
                           "qr": qr_svg(pairing, _("QR code of the pairing URL"))})


@ui.post(f"{BASE}/links/<int:link_id>/revoke")
def revoke_sync_link(project_id: int, link_id: int):
    link = project_row_or_404(project_id, VERB, sync_links.get_link, link_id)
    name = link.actor.display_name
    sync_links.revoke(link)
    db.session.commit()
    flash(_("%(name)s is revoked: its next sync is refused.", name=name), "ok")
    return redirect(url_for("ui.sync", project_id=project_id))


@ui.post(f"{BASE}/peers")
def pair_sync_peer(project_id: int):
    project_or_404(project_id, VERB)
    url, token = request.form.get("url", "").strip(), request.form.get("token", "").strip()
    try:
        peer, _created = pair(url, token or None, project_id=project_id,
                              options=jobs.wire_options())
    except PairingError as error:
        flash(str(error), "error")
    except Refused:
        flash(_("The central server refused this token: copy it again, or ask for a new "
                "sync link."), "error")
    except WireError as error:
        flash(_("The central server could not be reached: %(error)s", error=str(error)),
              "error")
    else:
        flash(_("Paired with %(name)s. Submissions go there at the next sync.",
                name=peer.display_name), "ok")
    return redirect(url_for("ui.sync", project_id=project_id))


@ui.post(f"{BASE}/conflicts/<int:conflict_id>")
def resolve_sync_conflict(project_id: int, conflict_id: int):
    project_or_404(project_id, VERB)
    conflict = db.session.scalar(select(SyncConflict).where(
        SyncConflict.project_id == project_id, SyncConflict.id == conflict_id))
    keep = request.form.get("keep", "")
    if conflict is None or keep not in conflict_service.KEEP:
        flash(_("That conflict or choice does not exist."), "error")
        return redirect(url_for("ui.sync", project_id=project_id))
    try:
        conflict_service.resolve(conflict, keep, g.principal.actor.id)
    except (conflict_service.ResolutionRefused, ingest_errors.IngestError) as error:
        db.session.rollback()
        flash(getattr(error, "message", str(error)), "error")
    else:
        flash(_("Conflict resolved."), "ok")
    return redirect(url_for("ui.sync", project_id=project_id))

"""What a manager does to the dashboard beside reading it (issue 11): publish public
dashboards (/p/{slug}) and approve the free-text quotes shown per goal.

Both are thin over the API's own services: `app.indicators.public.save/delete` (slug, title,
indicators and origins are checked there, and their 4xx message is what the form shows) and
`app.indicators.overview.quote_candidates/approve_quote/withdraw_quote` (candidates skip every
answer the personal-data policy calls personal). Permissions are the API's: reading the boards
is `indicator.read`, everything else `indicator.manage`.
"""
from __future__ import annotations

from typing import Any

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app import problems
from app.extensions import db
from app.indicators import dashboard, overview, public, service
from app.models import Project, PublicDashboard
from app.problems import Problem
from app.web.access import project_or_404
from app.web.ui import formtext
from app.web.ui.blueprint import ui
from app.web.ui.i18n import current_language
from app.web.ui.paging import offset_arg

BOARDS = "/projects/<int:project_id>/dashboard/public"
QUOTES = "/projects/<int:project_id>/dashboard/quotes"
CANDIDATES_PAGE = 50  # answers to choose from on one page


def _indicator_choices(project_id: int, lang: str) -> list[dict[str, Any]]:
    out = []
    for indicator, _form in service.list_indicators(project_id):
        spec = service.spec_of(indicator)
        out.append({"id": indicator.id, "code": spec.code, "sdg": spec.sdg,
                    "label": dashboard.indicator_label(spec, lang)})
    return out


def _board_body(form: Any) -> dict[str, Any]:
    """The API's body from the page's form: checkboxes are indicator ids, origins one a line."""
    indicators: list[Any] = []
    for raw in form.getlist("indicator"):
        indicators.append(int(raw) if raw.strip().isdigit() else raw)
    origins = [line.strip() for line in form.get("origins", "").splitlines() if line.strip()]
    return {"slug": form.get("slug", "").strip(), "title": form.get("title", ""),
            "indicators": indicators, "allowedOrigins": origins,
            "published": form.get("published") == "1"}


def _boards_page(project: Project, *, failed: dict[str, Any] | None = None, status: int = 200):
    """The boards with their links; for managers also the forms (a failed one as it was sent,
    with the service's message)."""
    can_manage = g.principal.can("indicator.manage", project.id)
    html = render_template(
        "ui/dashboard_boards.html", project=project, boards=public.list_boards(project.id),
        indicators=_indicator_choices(project.id, current_language()) if can_manage else [],
        can_manage=can_manage, failed=failed)
    return html, status


@ui.get(BOARDS)
def dashboard_boards(project_id: int):
    return _boards_page(project_or_404(project_id, "indicator.read"))


def _refused(project: Project, problem: Problem, board_id: int | None):
    """The form again, as it was sent, with the API's message and its status (4xx)."""
    db.session.rollback()
    return _boards_page(project, status=problem.status, failed={
        "board": board_id, "message": problem.message, "slug": request.form.get("slug", ""),
        "title": request.form.get("title", ""), "origins": request.form.get("origins", ""),
        "indicators": set(request.form.getlist("indicator")),
        "published": request.form.get("published") == "1"})


@ui.post(BOARDS)
def create_board(project_id: int):
    project = project_or_404(project_id, "indicator.manage")
    try:
        board = public.save(project_id, _board_body(request.form))
        db.session.commit()
    except Problem as problem:
        return _refused(project, problem, None)
    flash(_("The public dashboard %(title)s is saved.", title=board.title), "ok")
    return redirect(url_for("ui.dashboard_boards", project_id=project_id) + f"#board-{board.id}")


def _board(project_id: int, board_id: int) -> tuple[Project, PublicDashboard]:
    project = project_or_404(project_id, "indicator.manage")
    board = public.get_board(project_id, board_id)
    if board is None:
        raise problems.not_found()
    return project, board


@ui.post(f"{BOARDS}/<int:board_id>")
def update_board(project_id: int, board_id: int):
    project, board = _board(project_id, board_id)
    try:
        public.save(project_id, _board_body(request.form), board)
        db.session.commit()
    except Problem as problem:
        return _refused(project, problem, board_id)
    flash(_("The public dashboard %(title)s is saved.", title=board.title), "ok")
    return redirect(url_for("ui.dashboard_boards", project_id=project_id) + f"#board-{board.id}")


@ui.post(f"{BOARDS}/<int:board_id>/published")
def publish_board(project_id: int, board_id: int):
    _project, board = _board(project_id, board_id)
    public.save(project_id, {"published": request.form.get("published") == "1"}, board)
    db.session.commit()
    flash(_("%(title)s is public at /p/%(slug)s.", title=board.title, slug=board.slug)
          if board.published else
          _("%(title)s is no longer public.", title=board.title), "ok")
    return redirect(url_for("ui.dashboard_boards", project_id=project_id) + f"#board-{board.id}")


@ui.post(f"{BOARDS}/<int:board_id>/delete")
def delete_board(project_id: int, board_id: int):
    _project, board = _board(project_id, board_id)
    title = board.title
    public.delete(board)
    db.session.commit()
    flash(_("The public dashboard %(title)s is deleted.", title=title), "ok")
    return redirect(url_for("ui.dashboard_boards", project_id=project_id))


def _goal_asked() -> int | None:
    raw = request.values.get("goal", "")
    return int(raw) if raw.isdigit() and 1 <= int(raw) <= 17 else None


@ui.get(QUOTES)
def dashboard_quotes(project_id: int):
    """Per goal: the quotes approved for the dashboard (to withdraw) and the classifier-tagged
    answers a manager may approve (personal fields never among them)."""
    project = project_or_404(project_id, "indicator.manage")
    lang = current_language()
    counts = {row["goal"]: row["texts"] for row in overview.goal_counts(project_id)}
    goal = _goal_asked()
    if goal is None:
        goal = max(counts, key=lambda g_: (counts[g_], -g_)) if any(counts.values()) else 1
    approved = overview.quotes(project_id, goal)
    taken = {(q.submission_id, q.field) for q in approved}
    offset = offset_arg()
    found = overview.quote_candidates(project_id, goal, CANDIDATES_PAGE, offset)
    candidates = [c for c in found.items if (c["submissionId"], c["field"]) not in taken]
    return render_template(
        "ui/dashboard_quotes.html", project=project, goal=goal, counts=counts,
        goal_titles={n: formtext.sdg_title(str(n), lang) for n in range(1, 18)},
        approved=approved, candidates=candidates, max_quote=overview.MAX_QUOTE,
        offset=offset, page=CANDIDATES_PAGE, more=found.more)


@ui.post(QUOTES)
def approve_quote(project_id: int):
    project_or_404(project_id, "indicator.manage")
    goal = _goal_asked()
    body = {"form": request.form.get("form", ""), "instanceId": request.form.get("instanceId", ""),
            "field": request.form.get("field", ""),
            "goal": goal if goal is not None else request.form.get("goal", "")}
    if request.form.get("text", "").strip():
        body["text"] = request.form["text"]
    try:
        overview.approve_quote(project_id, body, g.principal.actor.id)
        db.session.commit()
        flash(_("The quote is approved: it shows on the dashboard."), "ok")
    except Problem as problem:
        db.session.rollback()
        flash(_("The quote was not approved: %(reason)s", reason=problem.message), "error")
    return redirect(url_for("ui.dashboard_quotes", project_id=project_id, goal=goal))


@ui.post(f"{QUOTES}/<int:quote_id>/delete")
def withdraw_quote(project_id: int, quote_id: int):
    project_or_404(project_id, "indicator.manage")
    goal = _goal_asked()
    overview.withdraw_quote(project_id, quote_id)
    db.session.commit()
    flash(_("The quote is withdrawn from the dashboard."), "ok")
    return redirect(url_for("ui.dashboard_quotes", project_id=project_id, goal=goal))

"""Errors on the web app's pages as pages (the API keeps its JSON problems)."""
from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.problems import Problem
from app.web.ui.blueprint import ui


def error_page(status: int, title: str, message: str):
    return render_template("ui/error.html", status=status, title=title,
                           message=message), status


@ui.errorhandler(Problem)
def _problem(problem: Problem):
    if problem.status == 401:
        return redirect(url_for("ui.login", next=request.full_path.rstrip("?")))
    if problem.status == 403:
        return error_page(403, _("Not allowed"),
                          _("Your role on this project does not allow this."))
    if problem.status == 404:
        return error_page(404, _("Not found"), _("There is nothing here, or it was removed."))
    return error_page(problem.status, _("That did not work"), problem.message)


@ui.errorhandler(CSRFError)
def _csrf(_error: CSRFError):
    return error_page(400, _("This form has expired"),
                      _("The page was open too long or was sent from elsewhere. Go back, "
                        "reload the page and try again."))


@ui.errorhandler(HTTPException)
def _http(error: HTTPException):
    if error.code == 404:
        return error_page(404, _("Not found"), _("There is nothing here, or it was removed."))
    return error_page(error.code or 500, error.name, error.description or "")

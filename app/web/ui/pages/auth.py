"""Sign in, sign out (here or everywhere) and the language picker."""
from __future__ import annotations

from flask import g, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from app.extensions import db
from app.services import accounts
from app.services.login_throttle import LoginThrottled
from app.web.auth import login_guard
from app.web.ui.blueprint import ui
from app.web.ui.i18n import LANGUAGES
from app.web.ui.session import public, safe_next, sign_in, sign_out


@ui.get("/login")
@public
def login():
    if g.get("principal") is not None:
        return redirect(safe_next(request.args.get("next")))
    return render_template("ui/login.html", next=request.args.get("next", ""), email="")


@ui.post("/login")
@public
def login_post():
    email = request.form.get("email", "").strip()
    password = request.form.get("password", "")
    target = request.form.get("next", "")
    if not email or not password:
        return _login_again(email, target, _("Enter your email and your password."), 400)
    try:
        user = accounts.authenticate(email, password, login_guard(email))
    except LoginThrottled as throttled:
        minutes = max(1, (throttled.retry_after + 59) // 60)
        response = _login_again(email, target, _(
            "Too many failed sign-in attempts. Try again in %(minutes)s minutes.",
            minutes=minutes), 429)
        response.headers["Retry-After"] = str(throttled.retry_after)
        return response
    if user is None:
        return _login_again(email, target, _("Wrong email or password."), 401)
    sign_in(user)
    db.session.commit()
    return redirect(safe_next(target))


def _login_again(email: str, target: str, error: str, status: int):
    page = render_template("ui/login.html", next=target, email=email, error=error)
    return make_response(page, status)


@ui.get("/logout")
def logout():
    return render_template("ui/logout.html")


@ui.post("/logout")
@public
def logout_post():
    sign_out(everywhere=request.form.get("everywhere") == "1")
    db.session.commit()
    return redirect(url_for("ui.login"))


@ui.post("/language")
@public
def language():
    chosen = request.form.get("lang", "")
    if chosen in LANGUAGES:
        session["lang"] = chosen
    return redirect(safe_next(request.form.get("next")))

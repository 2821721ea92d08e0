from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from survey.accounts.limits import throttle_login
from survey.auth.access import is_safe_next
from survey.auth.forms import LoginForm
from survey.auth.services import authenticate
from survey.extensions import db

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
@throttle_login
def login() -> str | Response:
    if current_user.is_authenticated:
        return redirect(url_for("staff.home"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is not None:
            # A fresh session at login: nothing planted before login survives it.
            session.clear()
            login_user(user)
            target = request.args.get("next")
            return redirect(target if is_safe_next(target) else url_for("staff.home"))
        error = _("The e-mail address or password is not correct.")
    return render_template("auth/login.html", form=form, error=error)


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    if current_user.is_authenticated:
        # Every session of the account ends, not only this browser's cookie: a copy of a
        # signed cookie would otherwise stay valid after logging out.
        current_user.end_sessions()
        db.session.commit()
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))

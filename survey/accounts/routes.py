"""Password links (forgotten, new account) and the administrators' user pages."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from survey.accounts.background import send_reset_link_later
from survey.accounts.forms import (
    ConfirmForm,
    ForgotPasswordForm,
    NewPasswordForm,
    NewUserForm,
    RoleFields,
    RoleForm,
)
from survey.accounts.limits import throttle_password_reset
from survey.accounts.services import (
    AccountError,
    LinkKind,
    MailError,
    TokenState,
    change_role,
    create_user,
    find_password_token,
    open_link_expiry,
    school_in_centre,
    send_password_link,
    set_enabled,
    set_password_with_token,
    user_in_centre,
    users_of_centre,
)
from survey.auth.access import roles_required
from survey.extensions import csrf, db
from survey.models import Role, School, StaffUser
from survey.passwords import MIN_PASSWORD_LENGTH

bp = Blueprint("accounts", __name__)

# Pages that carry a password token in their address must not hand it on as a referrer.
_NO_REFERRER = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


# --------------------------------------------------------------------------- password links


@bp.route("/password/forgot", methods=["GET", "POST"])
@throttle_password_reset
def forgot_password() -> str | Response:
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        # After the answer, whatever the address: known and unknown ones take the same time
        # and get the same page (survey/accounts/background.py).
        send_reset_link_later(form.email.data)
        # Redirect after POST: reloading the answer page must not send another mail.
        return redirect(url_for("accounts.forgot_password_sent"))
    return render_template("accounts/forgot.html", form=form)


@bp.route("/password/forgot/sent")
def forgot_password_sent() -> str:
    return render_template("accounts/forgot_sent.html")


@bp.route("/password/<token>", methods=["GET", "POST"])
# The page sends no Referer (its address holds the token), and over HTTPS Flask-WTF's global
# check refuses a POST without one. The form still checks its own CSRF field.
@csrf.exempt
def set_password(token: str) -> tuple[str, int, dict[str, str]] | Response:
    state, record = find_password_token(token)
    if state is TokenState.UNKNOWN:
        return render_template("accounts/link_invalid.html", spent=False), 404, _NO_REFERRER
    if state is TokenState.SPENT or record is None:
        return render_template("accounts/link_invalid.html", spent=True), 410, _NO_REFERRER
    form = NewPasswordForm()
    if form.validate_on_submit():
        set_password_with_token(record, form.password.data)
        db.session.commit()
        flash(_("Your password has been saved. You can log in now."), "success")
        return redirect(url_for("auth.login"))
    error = None
    if form.errors.get("csrf_token"):
        # The token is missing, forged or stale (the page stood open for over an hour, the
        # session cookie was lost). Its field is hidden, so without this the page would come
        # back empty without a word; the new page carries a fresh token that works.
        error = _("For your security, please type your new password again and save it.")
    page = render_template(
        "accounts/set_password.html",
        form=form,
        user=record.user,
        min_length=MIN_PASSWORD_LENGTH,
        error=error,
    )
    return page, 200, _NO_REFERRER


# --------------------------------------------------------------------------- user management


def _user_or_404(user_id: int) -> StaffUser:
    user = user_in_centre(current_user.centre_id, user_id)
    if user is None:
        abort(404)
    return user


def _fill_schools(form: RoleFields) -> None:
    schools = db.session.scalars(
        select(School).where(School.centre_id == current_user.centre_id).order_by(School.name)
    )
    form.school.choices = [SelectChoice("", _("No school"))] + [
        SelectChoice(str(school.id), school.name) for school in schools
    ]


def _chosen_school(form: RoleFields) -> School | None:
    # The choice was validated against the centre's schools, so it is a number or empty.
    return school_in_centre(
        current_user.centre_id, int(form.school.data) if form.school.data else None
    )


@bp.route("/accounts/users", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def users() -> str | Response:
    form = NewUserForm()
    _fill_schools(form)
    error = None
    if form.validate_on_submit():
        try:
            # Without its link the account would be unusable: create it only with the mail.
            with db.session.begin_nested():
                user = create_user(
                    current_user.centre,
                    form.email.data,
                    form.name.data,
                    Role(form.role.data),
                    _chosen_school(form),
                )
                send_password_link(user, LinkKind.SET)
        except AccountError as exc:
            error = str(exc)
        except MailError:
            current_app.logger.exception("Could not mail a set-password link")
            error = _("The mail server could not be reached. The account was not created.")
        else:
            db.session.commit()
            flash(
                _(
                    "Account created. %(email)s received a link to choose a password.",
                    email=user.email,
                ),
                "success",
            )
            return redirect(url_for("accounts.users"))
    return render_template(
        "accounts/users.html",
        form=form,
        users=users_of_centre(current_user.centre_id),
        error=error,
    )


@bp.route("/accounts/users/<int:user_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def user(user_id: int) -> str | Response:
    account = _user_or_404(user_id)
    # A submitted form's values take precedence over these.
    form = RoleForm(data={"role": account.role.value, "school": str(account.school_id or "")})
    _fill_schools(form)
    error = None
    if form.validate_on_submit():
        try:
            change_role(current_user, account, Role(form.role.data), _chosen_school(form))
        except AccountError as exc:
            error = str(exc)
        else:
            db.session.commit()
            flash(_("The role has been saved."), "success")
            return redirect(url_for("accounts.user", user_id=account.id))
    return render_template(
        "accounts/user.html",
        account=account,
        form=form,
        confirm_form=ConfirmForm(),
        link_expires=open_link_expiry(account),
        error=error,
    )


def _set_enabled(user_id: int, enabled: bool) -> Response:
    account = _user_or_404(user_id)
    if ConfirmForm().validate_on_submit():
        try:
            set_enabled(current_user, account, enabled)
        except AccountError as exc:
            flash(str(exc), "error")
        else:
            db.session.commit()
            if enabled:
                flash(_("The account has been enabled."), "success")
            else:
                flash(_("The account has been disabled."), "success")
    return redirect(url_for("accounts.user", user_id=account.id))


@bp.route("/accounts/users/<int:user_id>/enable", methods=["POST"])
@roles_required(Role.ADMIN)
def enable_user(user_id: int) -> Response:
    return _set_enabled(user_id, True)


@bp.route("/accounts/users/<int:user_id>/disable", methods=["POST"])
@roles_required(Role.ADMIN)
def disable_user(user_id: int) -> Response:
    return _set_enabled(user_id, False)


@bp.route("/accounts/users/<int:user_id>/link", methods=["POST"])
@roles_required(Role.ADMIN)
def send_link(user_id: int) -> Response:
    account = _user_or_404(user_id)
    if ConfirmForm().validate_on_submit():
        if not account.is_enabled:
            flash(_("Enable the account before sending it a link."), "error")
            return redirect(url_for("accounts.user", user_id=account.id))
        try:
            with db.session.begin_nested():
                send_password_link(account, LinkKind.SET)
        except MailError:
            current_app.logger.exception("Could not mail a set-password link")
            flash(_("The mail server could not be reached. Try again later."), "error")
        else:
            db.session.commit()
            flash(
                _("%(email)s received a new link to choose a password.", email=account.email),
                "success",
            )
    return redirect(url_for("accounts.user", user_id=account.id))

"""Coordinators' pages for the centre's API tokens: list, make (shown once) and revoke."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from survey.api.forms import NewTokenForm, RevokeForm
from survey.api.services import create_token, revoke_token, token_in_centre, tokens_of_centre
from survey.auth.access import roles_required
from survey.extensions import db
from survey.models import ApiToken, Role

bp = Blueprint("api_tokens", __name__, url_prefix="/api-tokens")
STAFF = (Role.COORDINATOR, Role.ADMIN)


def _token_or_404(token_id: int) -> ApiToken:
    token = token_in_centre(current_user.centre_id, token_id)
    if token is None:
        abort(404)
    return token


@bp.route("/", methods=["GET", "POST"])
@roles_required(*STAFF)
def index() -> str | tuple[str, int, dict[str, str]]:
    form = NewTokenForm()
    if form.validate_on_submit():
        token, secret = create_token(current_user.centre, form.name.data, created_by=current_user)
        db.session.commit()
        # The token is on this page only: never in a URL, a flash message or a cache.
        page = render_template("api/created.html", token=token, secret=secret)
        return page, 200, {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
    return render_template(
        "api/index.html",
        form=form,
        tokens=tokens_of_centre(current_user.centre_id),
        revoke_form=RevokeForm(),
    )


@bp.route("/<int:token_id>/revoke", methods=["POST"])
@roles_required(*STAFF)
def revoke(token_id: int) -> Response:
    token = _token_or_404(token_id)
    if RevokeForm().validate_on_submit():
        if revoke_token(token):
            db.session.commit()
        flash(_("The token “%(name)s” has been revoked.", name=token.name), "success")
    return redirect(url_for("api_tokens.index"))

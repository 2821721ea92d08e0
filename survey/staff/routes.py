from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from survey import clock
from survey.feedback.services import PERSPECTIVES
from survey.models import Audience, Role, TrajectoryStatus
from survey.staff.services import centre_overview
from survey.workspace.services import workspace_rows

bp = Blueprint("staff", __name__)


@bp.route("/")
def index() -> Response:
    return redirect(url_for("staff.home"))


@bp.route("/home")
@login_required
def home() -> str:
    user = current_user
    context: dict[str, object] = {
        "statuses": list(TrajectoryStatus),
        # Coaches answer the feedbackmatrix, not the anonymous satisfaction surveys.
        "audiences": [audience for audience in Audience if audience is not Audience.COACH],
    }
    if user.role is Role.COACH:
        context["rows"] = workspace_rows(user, clock.today())
        context["perspectives"] = PERSPECTIVES
        return render_template("workspace/index.html", **context)
    elif user.role is Role.SCHOOL:
        context["overview"] = centre_overview(user.centre, school=user.school)
    else:
        context["overview"] = centre_overview(user.centre)
    return render_template("staff/home.html", **context)

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from survey.extensions import db
from survey.models import Audience, Role, Trajectory, TrajectoryStatus
from survey.staff.services import centre_overview
from survey.trajectories.services import STATUS_ORDER, visible_trajectories

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
        statement = (
            visible_trajectories(user)
            .options(selectinload(Trajectory.school))
            .order_by(STATUS_ORDER, Trajectory.code)
        )
        context["trajectories"] = db.session.scalars(statement).all()
    elif user.role is Role.SCHOOL:
        context["overview"] = centre_overview(user.centre, school=user.school)
    else:
        context["overview"] = centre_overview(user.centre)
    return render_template("staff/home.html", **context)

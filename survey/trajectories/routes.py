from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user
from sqlalchemy.orm import selectinload

from survey.auth.access import roles_required
from survey.evaluation.services import goals_of, next_evaluation_on, timeline
from survey.extensions import db
from survey.labels import theme_label
from survey.models import Role, Trajectory
from survey.trajectories.services import find_visible_trajectory, visible_trajectories

bp = Blueprint("trajectories", __name__, url_prefix="/trajectories")

PAGE_SIZE = 50
# Far beyond any list; the bound keeps the database's OFFSET an ordinary integer
# (?page=99999999999999999999 overflowed it: a 500).
MAX_PAGE = 1_000_000


@bp.route("/")
@roles_required(Role.COORDINATOR, Role.ADMIN, Role.COACH)
def index() -> str:
    statement = (
        visible_trajectories(current_user)
        .options(selectinload(Trajectory.school), selectinload(Trajectory.coaches))
        .order_by(Trajectory.code)
    )
    number = min(request.args.get("page", 1, type=int), MAX_PAGE)
    page = db.paginate(
        statement, page=number, per_page=PAGE_SIZE, max_per_page=PAGE_SIZE, error_out=False
    )
    return render_template("trajectories/index.html", page=page, args=request.args)


@bp.route("/<code>")
@roles_required(Role.COORDINATOR, Role.ADMIN, Role.COACH)
def detail(code: str) -> str:
    trajectory = find_visible_trajectory(current_user, code)
    if trajectory is None:
        abort(404)
    return render_template(
        "trajectories/detail.html",
        trajectory=trajectory,
        goals=goals_of(trajectory),
        events=timeline(trajectory),
        next_evaluation=next_evaluation_on(trajectory),
        theme_label=theme_label,
    )

"""The feedbackmatrix page of a trajectory and the coach's "ask for feedback" action."""

from __future__ import annotations

import base64

from flask import Blueprint, abort, render_template, request
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from analysis.charts import feedback_heatmap
from survey import clock
from survey.audit.services import record_view
from survey.auth.access import roles_required
from survey.campaigns.delivery import letters_pdf
from survey.campaigns.services import CampaignError, campaign_for_trajectory, issue_invitations
from survey.extensions import db
from survey.feedback.forms import FeedbackRequestForm
from survey.feedback.services import PERSPECTIVES, change, matrix_rounds
from survey.labels import label, theme_label
from survey.models import Audience, Level, Role, Trajectory
from survey.trajectories.services import find_visible_trajectory
from survey.web import pdf_download

bp = Blueprint("feedback", __name__, url_prefix="/trajectories")
STAFF = (Role.COACH, Role.COORDINATOR, Role.ADMIN)


def trajectory_or_404(code: str) -> Trajectory:
    trajectory = find_visible_trajectory(current_user, code)
    if trajectory is None:
        abort(404)
    return trajectory


def _heatmap(current) -> tuple[str, str]:
    themes = list(current.means)
    values = [
        [
            current.means[theme][role] if current.means[theme][role] is not None else float("nan")
            for role in PERSPECTIVES
        ]
        for theme in themes
    ]
    chart = feedback_heatmap(
        values,
        [theme_label(t) for t in themes],
        [label(role) for role in PERSPECTIVES],
        scale_points=4,
        divergence_label=_("at least 1 point apart"),
        fmt=lambda value, decimals: format_decimal(round(value, decimals)),
        title=_("Feedbackmatrix: average per theme and perspective (1 to 4)"),
    )
    data = base64.b64encode(chart.svg.encode("utf-8")).decode("ascii")
    return f"data:image/svg+xml;base64,{data}", chart.alt


@bp.route("/<code>/matrix")
@roles_required(*STAFF)
def matrix(code: str) -> str:
    trajectory = trajectory_or_404(code)
    rounds = matrix_rounds(trajectory)
    answered = [r for r in rounds if r.respondents]
    try:
        index = int(request.args.get("round", len(answered) - 1))
    except ValueError:
        index = len(answered) - 1
    index = min(max(index, 0), max(len(answered) - 1, 0))
    current = answered[index] if answered else None
    previous = answered[index - 1] if answered and index > 0 else None
    heatmap = _heatmap(current) if current else None
    record_view(current_user, trajectory, "view_matrix")
    db.session.commit()
    return render_template(
        "feedback/matrix.html",
        trajectory=trajectory,
        rounds=answered,
        index=index,
        current=current,
        previous=previous,
        perspectives=PERSPECTIVES,
        change=change,
        theme_label=theme_label,
        heatmap=heatmap,
    )


def _default_roles(trajectory: Trajectory) -> list[str]:
    # Pupils from primary school on answer; a team-directed trajectory has no pupil or parent.
    roles = [Audience.TEACHER, Audience.SCHOOL, Audience.COACH]
    if trajectory.focus.value != "team":
        roles.insert(0, Audience.PARENT)
        if trajectory.level in (Level.LAGER, Level.SECUNDAIR, Level.HBO5):
            roles.insert(0, Audience.PUPIL)
    return [role.value for role in roles]


@bp.route("/<code>/ask-feedback", methods=["GET", "POST"])
@roles_required(*STAFF)
def ask_feedback(code: str) -> str | Response:
    trajectory = trajectory_or_404(code)
    form = FeedbackRequestForm()
    if request.method == "GET":
        form.roles.data = _default_roles(trajectory)
    links: list[tuple[str, str]] = []
    error = None
    if form.validate_on_submit():
        today = clock.today()
        issued_all = []
        try:
            for role in form.roles.data:
                audience = Audience(role)
                campaign = campaign_for_trajectory(trajectory, audience, today)
                count = form.parents.data if audience is Audience.PARENT else 1
                issued = issue_invitations(
                    campaign, audience, count, today, form.language.data, issued_by=current_user
                )
                issued_all.extend(issued)
                links.extend((label(audience), item.url()) for item in issued)
        except CampaignError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            if form.letters.data:
                pdf = letters_pdf(campaign, issued_all, form.language.data)
                db.session.commit()
                return pdf_download(pdf, f"feedback-{code}.pdf")
            db.session.commit()
    return render_template(
        "feedback/ask.html", trajectory=trajectory, form=form, links=links, error=error
    )

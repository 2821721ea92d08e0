"""Goals, the evaluation form, and the printable evaluation record (HTML and PDF)."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from survey import clock
from survey.audit.services import record_view
from survey.auth.access import roles_required
from survey.evaluation.forms import (
    GoalForm,
    build_evaluation_form,
    evidence_field,
    participant_label,
    progress_field,
)
from survey.evaluation.services import DecisionInput, goals_of, record_evaluation
from survey.extensions import db
from survey.feedback.routes import STAFF, trajectory_or_404
from survey.feedback.services import PERSPECTIVES
from survey.labels import theme_label
from survey.models import (
    CloseReason,
    Decision,
    Evaluation,
    Focus,
    Goal,
    GoalProgress,
    HoldReason,
    InvalidTransitionError,
)
from survey.web import pdf_download

bp = Blueprint("evaluation", __name__, url_prefix="/trajectories")


@bp.route("/<code>/goals/new", methods=["GET", "POST"])
@roles_required(*STAFF)
def new_goal(code: str) -> str | Response:
    trajectory = trajectory_or_404(code)
    form = GoalForm()
    if request.method == "GET":
        form.target.data = trajectory.focus.value
    if form.validate_on_submit():
        db.session.add(
            Goal(
                trajectory=trajectory,
                target=Focus(form.target.data),
                description=form.description.data.strip(),
                success_criterion=form.success_criterion.data.strip(),
                target_date=form.target_date.data,
                created_on=clock.today(),
                created_by_id=current_user.id,
            )
        )
        db.session.commit()
        return redirect(url_for("trajectories.detail", code=code))
    return render_template("evaluation/goal.html", trajectory=trajectory, form=form)


@bp.route("/<code>/evaluations/new", methods=["GET", "POST"])
@roles_required(*STAFF)
def new_evaluation(code: str) -> str | Response:
    trajectory = trajectory_or_404(code)
    goals = goals_of(trajectory)
    form = build_evaluation_form(goals)
    if request.method == "GET":
        form.held_on.data = clock.today()
    error = None
    if form.validate_on_submit():
        fields = {
            "held_on": form.held_on.data,
            "participants": list(form.participants.data or []),
            "reflection": (form.reflection.data or "").strip() or None,
            "adjustments": (form.adjustments.data or "").strip() or None,
            "next_evaluation_on": form.next_evaluation_on.data,
        }
        for name in ("pupil_participates", "teacher_has_questions", "can_reduce", "must_intensify"):
            fields[name] = form[name].data or None
        decision = Decision(form.decision.data)
        choice = DecisionInput(
            decision=decision,
            hold_reason=HoldReason(form.hold_reason.data) if decision is Decision.ON_HOLD else None,
            close_reason=(
                CloseReason(form.close_reason.data) if decision is Decision.CLOSE else None
            ),
            note=(form.decision_note.data or "").strip() or None,
        )
        results = {
            goal.id: (
                GoalProgress(form[progress_field(goal)].data),
                (form[evidence_field(goal)].data or "").strip() or None,
            )
            for goal in goals
        }
        try:
            evaluation = record_evaluation(trajectory, current_user, fields, results, choice)
        except InvalidTransitionError:
            db.session.rollback()
            error = _("This decision is not possible from the trajectory's current status.")
        else:
            record_view(current_user, trajectory, "record_evaluation")
            db.session.commit()
            return redirect(url_for("evaluation.record", code=code, evaluation_id=evaluation.id))
    return render_template(
        "evaluation/form.html",
        trajectory=trajectory,
        form=form,
        goals=goals,
        progress_field=progress_field,
        evidence_field=evidence_field,
        error=error,
    )


def _evaluation_or_404(code: str, evaluation_id: int):
    trajectory = trajectory_or_404(code)
    evaluation = db.session.get(Evaluation, evaluation_id)
    if evaluation is None or evaluation.trajectory_id != trajectory.id:
        abort(404)
    return trajectory, evaluation


def _record_html(trajectory, evaluation, for_pdf: bool) -> str:
    return render_template(
        "evaluation/record.html",
        trajectory=trajectory,
        evaluation=evaluation,
        snapshot=evaluation.feedback_snapshot or {},
        perspectives=PERSPECTIVES,
        theme_label=theme_label,
        participants=[participant_label(code) for code in evaluation.participants],
        for_pdf=for_pdf,
    )


@bp.route("/<code>/evaluations/<int:evaluation_id>")
@roles_required(*STAFF)
def record(code: str, evaluation_id: int) -> str:
    trajectory, evaluation = _evaluation_or_404(code, evaluation_id)
    record_view(current_user, trajectory, "view_evaluation", f"evaluation {evaluation.id}")
    db.session.commit()
    return _record_html(trajectory, evaluation, for_pdf=False)


@bp.route("/<code>/evaluations/<int:evaluation_id>.pdf")
@roles_required(*STAFF)
def record_pdf(code: str, evaluation_id: int) -> Response:
    from weasyprint import CSS, HTML  # loads Pango; only printing needs it

    trajectory, evaluation = _evaluation_or_404(code, evaluation_id)
    stylesheet = CSS(filename=str(Path(current_app.static_folder) / "record.css"))
    html = HTML(string=_record_html(trajectory, evaluation, for_pdf=True))
    pdf = html.write_pdf(stylesheets=[stylesheet])
    record_view(current_user, trajectory, "print_evaluation", f"evaluation {evaluation.id}")
    db.session.commit()
    name = f"evaluatie-{trajectory.code}-{evaluation.held_on.isoformat()}.pdf"
    return pdf_download(pdf, name)

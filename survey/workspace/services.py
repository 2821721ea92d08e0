"""One row per trajectory of a coach: who gave feedback, when the next evaluation is, signals."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy.orm import selectinload

from survey.evaluation.services import next_evaluation_on, overall_satisfaction
from survey.extensions import db
from survey.feedback.services import Round, matrix_rounds
from survey.models import AnonymousResponse, Audience, StaffUser, Trajectory, TrajectoryStatus
from survey.trajectories.services import STATUS_ORDER, visible_trajectories

# Without feedbackmatrix answers for this long, an active trajectory is flagged.
QUIET_MONTHS = 6


@dataclass
class WorkspaceRow:
    trajectory: Trajectory
    latest: Round | None
    last_answer_on: date | None
    next_evaluation_on: date | None
    signals: list[str] = field(default_factory=list)

    def status(self, audience: Audience) -> str:
        return self.latest.status(audience) if self.latest else "none"


def _school_challenges(school_ids: set[int]) -> set[int]:
    """Schools whose parents or teachers rate overall satisfaction as a "challenge" (>= k)."""
    flagged = set()
    for school_id in school_ids:
        for audience in (Audience.PARENT, Audience.TEACHER):
            signal = overall_satisfaction(
                [AnonymousResponse.school_id == school_id, AnonymousResponse.audience == audience],
                "school",
            )
            if signal["shown"] and signal["profile"] == "challenge":
                flagged.add(school_id)
    return flagged


def workspace_rows(user: StaffUser, today: date) -> list[WorkspaceRow]:
    statement = (
        visible_trajectories(user)
        .options(selectinload(Trajectory.school), selectinload(Trajectory.history))
        .order_by(STATUS_ORDER, Trajectory.code)
    )
    trajectories = db.session.scalars(statement).all()
    challenges = _school_challenges({t.school_id for t in trajectories})
    rows = []
    for trajectory in trajectories:
        rounds = matrix_rounds(trajectory)
        latest = rounds[-1] if rounds else None
        answered = [r for r in rounds if r.respondents]
        last_answer_on = answered[-1].opened_on if answered else None
        row = WorkspaceRow(trajectory, latest, last_answer_on, next_evaluation_on(trajectory))
        active = trajectory.status is TrajectoryStatus.ACTIVE
        quiet_since = today - timedelta(days=30 * QUIET_MONTHS)
        if (
            active
            and trajectory.start_date < quiet_since
            and (last_answer_on is None or last_answer_on < quiet_since)
        ):
            row.signals.append("quiet")
        if answered and answered[-1].divergent_themes():
            row.signals.append("divergence")
        if trajectory.school_id in challenges:
            row.signals.append("satisfaction")
        if active and row.next_evaluation_on and row.next_evaluation_on < today:
            row.signals.append("overdue")
        rows.append(row)
    return rows

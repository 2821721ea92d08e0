"""Recording evaluations and building a trajectory's timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from analysis import profile_label, proportion_ci
from survey.extensions import db
from survey.feedback.services import PERSPECTIVES, matrix_rounds
from survey.models import (
    AnonymousAnswer,
    AnonymousResponse,
    Audience,
    CloseReason,
    Decision,
    Evaluation,
    Goal,
    GoalProgress,
    GoalResult,
    HoldReason,
    QuestionnaireVersion,
    StaffUser,
    Trajectory,
    TrajectoryStatus,
)

CONTINUING = frozenset({Decision.CONTINUE, Decision.REDUCE, Decision.INTENSIFY})


def _overall_items() -> list[str]:
    """Ids of the overall-satisfaction statements (theme ``algemeen``) of every questionnaire."""
    ids = set()
    for definition in db.session.scalars(select(QuestionnaireVersion.definition)):
        ids |= {item["id"] for item in definition["items"] if item["theme"] == "algemeen"}
    return sorted(ids)


def overall_satisfaction(scope: list, label: str) -> dict[str, Any]:
    """Top-2 share of the overall-satisfaction statement, only for at least k respondents.

    One statement, so one answer per respondent: the Wilson interval's independence
    assumption holds (pooling all statements would count each person several times).
    """
    threshold = current_app.config["ANONYMITY_THRESHOLD"]
    year = db.session.scalar(select(func.max(AnonymousResponse.school_year)).where(*scope))
    if year is None:
        return {"group": label, "shown": False, "reason": "none"}
    scope = [*scope, AnonymousResponse.school_year == year]
    respondents = db.session.scalar(
        select(func.count()).select_from(AnonymousResponse).where(*scope)
    )
    if respondents < threshold:
        return {"group": label, "year": year, "shown": False, "reason": "below_threshold"}
    positive, total = db.session.execute(
        select(
            func.sum(func.cast(AnonymousAnswer.value >= 3, db.Integer)),
            func.count(),
        )
        .join(AnonymousResponse)
        .where(*scope, AnonymousAnswer.value > 0, AnonymousAnswer.item_id.in_(_overall_items()))
    ).one()
    positive, total = int(positive or 0), int(total or 0)
    interval = proportion_ci(positive, total)
    return {
        "group": label,
        "year": year,
        "shown": True,
        "respondents": respondents,
        "share": positive / total if total else None,
        "low": interval.low,
        "high": interval.high,
        "profile": profile_label(interval.low, interval.high, total),
    }


def feedback_snapshot(trajectory: Trajectory) -> dict[str, Any]:
    """The feedback as it stands now, frozen into the evaluation record.

    The feedbackmatrix of the latest round (open by design), plus anonymous satisfaction
    signals of the trajectory's school and coach, only for groups of at least k respondents.
    """
    rounds = [r for r in matrix_rounds(trajectory) if r.respondents]
    matrix: dict[str, Any] | None = None
    if rounds:
        latest = rounds[-1]
        matrix = {
            "opened_on": latest.opened_on.isoformat(),
            "respondents": {role.value: n for role, n in latest.respondents.items()},
            "means": {
                theme: {role.value: value for role, value in by_role.items()}
                for theme, by_role in latest.means.items()
            },
            "divergent": latest.divergent_themes(),
        }
    signals = [
        overall_satisfaction(
            [
                AnonymousResponse.school_id == trajectory.school_id,
                AnonymousResponse.audience == Audience.PARENT,
            ],
            "school_parents",
        ),
        overall_satisfaction(
            [
                AnonymousResponse.school_id == trajectory.school_id,
                AnonymousResponse.audience == Audience.TEACHER,
            ],
            "school_teachers",
        ),
    ]
    if trajectory.coaches:
        signals.append(
            overall_satisfaction(
                [
                    AnonymousResponse.coach_id == trajectory.coaches[0].id,
                    AnonymousResponse.audience == Audience.TEACHER,
                ],
                "coach_teachers",
            )
        )
    return {
        "perspectives": [p.value for p in PERSPECTIVES],
        "matrix": matrix,
        "signals": signals,
        "threshold": current_app.config["ANONYMITY_THRESHOLD"],
    }


@dataclass(frozen=True)
class DecisionInput:
    decision: Decision
    hold_reason: HoldReason | None
    close_reason: CloseReason | None
    note: str | None


def apply_decision(trajectory: Trajectory, choice: DecisionInput, on: date, by: StaffUser) -> None:
    """Let the evaluation's decision move the trajectory's status (raises on a bad move)."""
    if choice.decision in CONTINUING:
        if trajectory.status is not TrajectoryStatus.ACTIVE:
            trajectory.change_status(TrajectoryStatus.ACTIVE, on=on, changed_by=by)
    elif choice.decision is Decision.ON_HOLD:
        trajectory.change_status(
            TrajectoryStatus.ON_HOLD,
            on=on,
            hold_reason=choice.hold_reason,
            note=choice.note,
            changed_by=by,
        )
    else:
        trajectory.change_status(
            TrajectoryStatus.CLOSED,
            on=on,
            close_reason=choice.close_reason,
            note=choice.note,
            changed_by=by,
        )


def record_evaluation(
    trajectory: Trajectory,
    user: StaffUser,
    fields: dict[str, Any],
    results: dict[int, tuple[GoalProgress, str | None]],
    choice: DecisionInput,
) -> Evaluation:
    """Store an evaluation moment with its goal results and snapshot, and apply its decision."""
    evaluation = Evaluation(
        trajectory=trajectory,
        recorded_by=user,
        decision=choice.decision,
        hold_reason=choice.hold_reason,
        close_reason=choice.close_reason,
        decision_note=choice.note,
        feedback_snapshot=feedback_snapshot(trajectory),
        **fields,
    )
    for goal_id, (progress, evidence) in results.items():
        evaluation.goal_results.append(
            GoalResult(goal_id=goal_id, progress=progress, evidence=evidence)
        )
    apply_decision(trajectory, choice, fields["held_on"], user)
    db.session.add(evaluation)
    db.session.flush()
    return evaluation


def goals_of(trajectory: Trajectory) -> list[Goal]:
    return list(
        db.session.scalars(
            select(Goal).where(Goal.trajectory_id == trajectory.id).order_by(Goal.id)
        )
    )


def evaluations_of(trajectory: Trajectory) -> list[Evaluation]:
    return list(
        db.session.scalars(
            select(Evaluation)
            .where(Evaluation.trajectory_id == trajectory.id)
            .order_by(Evaluation.held_on, Evaluation.id)
        )
    )


@dataclass(frozen=True)
class Event:
    on: date
    kind: str  # status | goal | round | evaluation
    subject: Any


def timeline(trajectory: Trajectory) -> list[Event]:
    """Every step of the cycle, newest first: status changes, goals, rounds, evaluations."""
    events = [Event(change.changed_on, "status", change) for change in trajectory.history]
    events += [Event(goal.created_on, "goal", goal) for goal in goals_of(trajectory)]
    events += [Event(r.opened_on, "round", r) for r in matrix_rounds(trajectory) if r.respondents]
    events += [Event(e.held_on, "evaluation", e) for e in evaluations_of(trajectory)]
    order = {"status": 0, "goal": 1, "round": 2, "evaluation": 3}
    return sorted(events, key=lambda e: (e.on, order[e.kind]), reverse=True)


def next_evaluation_on(trajectory: Trajectory) -> date | None:
    return db.session.scalar(
        select(Evaluation.next_evaluation_on)
        .where(Evaluation.trajectory_id == trajectory.id)
        .order_by(Evaluation.held_on.desc(), Evaluation.id.desc())
        .limit(1)
    )

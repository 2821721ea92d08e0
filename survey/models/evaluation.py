"""The action-plan cycle of a trajectory: goals, evaluation moments and their decisions."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.extensions import db
from survey.models.base import enum_column, utcnow
from survey.models.enums import CloseReason, Focus, HoldReason
from survey.models.staff import StaffUser
from survey.models.trajectory import Trajectory


class GoalProgress(enum.StrEnum):
    REACHED = "reached"
    PARTLY = "partly"
    NOT_YET = "not_yet"


class Answer(enum.StrEnum):
    """An answer to one of the evaluation questions of BRIEF.md §1."""

    YES = "yes"
    PARTLY = "partly"
    NO = "no"


class Decision(enum.StrEnum):
    CONTINUE = "continue"
    REDUCE = "reduce"
    INTENSIFY = "intensify"
    ON_HOLD = "on_hold"
    CLOSE = "close"


class Goal(db.Model):
    """A concrete goal for the pupil, the teacher or the team, with its success criterion."""

    __tablename__ = "goal"

    id: Mapped[int] = mapped_column(primary_key=True)
    trajectory_id: Mapped[int] = mapped_column(
        ForeignKey("trajectory.id", ondelete="CASCADE"), index=True
    )
    target: Mapped[Focus] = enum_column(Focus, "target")
    description: Mapped[str] = mapped_column(Text)
    # "When will we be satisfied?" (resultaatgerichtheid in the feedbackmatrix)
    success_criterion: Mapped[str] = mapped_column(Text)
    target_date: Mapped[date | None]
    created_on: Mapped[date]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))

    trajectory: Mapped[Trajectory] = relationship()


class Evaluation(db.Model):
    """One evaluation moment (handelingsplanmatige evaluatie) with its decision."""

    __tablename__ = "evaluation"

    id: Mapped[int] = mapped_column(primary_key=True)
    trajectory_id: Mapped[int] = mapped_column(
        ForeignKey("trajectory.id", ondelete="CASCADE"), index=True
    )
    held_on: Mapped[date]
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    # Who took part: roles only (pupil, parent, teacher, school, coach, CLB...).
    participants: Mapped[list[str]] = mapped_column(JSON, default=list)
    pupil_participates: Mapped[Answer | None] = enum_column(
        Answer, "pupil_participates", nullable=True
    )
    teacher_has_questions: Mapped[Answer | None] = enum_column(
        Answer, "teacher_has_questions", nullable=True
    )
    can_reduce: Mapped[Answer | None] = enum_column(Answer, "can_reduce", nullable=True)
    must_intensify: Mapped[Answer | None] = enum_column(Answer, "must_intensify", nullable=True)
    reflection: Mapped[str | None] = mapped_column(Text)
    decision: Mapped[Decision] = enum_column(Decision, "decision")
    hold_reason: Mapped[HoldReason | None] = enum_column(HoldReason, "hold_reason", nullable=True)
    close_reason: Mapped[CloseReason | None] = enum_column(
        CloseReason, "close_reason", nullable=True
    )
    decision_note: Mapped[str | None] = mapped_column(Text)
    adjustments: Mapped[str | None] = mapped_column(Text)
    next_evaluation_on: Mapped[date | None]
    # The feedback as it stood at this moment, frozen: later answers do not change the record.
    feedback_snapshot: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    trajectory: Mapped[Trajectory] = relationship()
    recorded_by: Mapped[StaffUser | None] = relationship()
    goal_results: Mapped[list[GoalResult]] = relationship(
        back_populates="evaluation", cascade="all, delete-orphan"
    )


class GoalResult(db.Model):
    __tablename__ = "goal_result"
    __table_args__ = (UniqueConstraint("evaluation_id", "goal_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(
        ForeignKey("evaluation.id", ondelete="CASCADE"), index=True
    )
    goal_id: Mapped[int] = mapped_column(ForeignKey("goal.id", ondelete="CASCADE"))
    progress: Mapped[GoalProgress] = enum_column(GoalProgress, "progress")
    evidence: Mapped[str | None] = mapped_column(Text)

    evaluation: Mapped[Evaluation] = relationship(back_populates="goal_results")
    goal: Mapped[Goal] = relationship()


class AuditEntry(db.Model):
    """Who looked at trajectory-level feedback, and when (BRIEF.md §5)."""

    __tablename__ = "audit_entry"
    # The audit page lists one centre's entries, newest first: read in index order, no sort
    # (bench/scale.py). ``at`` alone serves the purge.
    __table_args__ = (Index("ix_audit_entry_centre_at", "centre_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centre.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(40))
    trajectory_id: Mapped[int | None] = mapped_column(
        ForeignKey("trajectory.id", ondelete="SET NULL")
    )
    detail: Mapped[str | None] = mapped_column(String(200))

    user: Mapped[StaffUser | None] = relationship()
    trajectory: Mapped[Trajectory | None] = relationship()


class PasswordToken(db.Model):
    """A one-time link to set or reset a password; only the token's SHA-256 is stored."""

    __tablename__ = "password_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    used: Mapped[bool] = mapped_column(default=False)

    user: Mapped[StaffUser] = relationship()

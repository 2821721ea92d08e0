"""Support trajectories (leersteuntrajecten) and their status history.

A trajectory is identified by the centre's own pseudonymous code; no pupil name or birth date
is stored anywhere (GDPR art. 9: pupils with disabilities are special-category data).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Column, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.extensions import db
from survey.models.base import enum_column, utcnow
from survey.models.centre import Centre, School
from survey.models.enums import (
    CloseReason,
    DisabilityType,
    Focus,
    HoldReason,
    Level,
    ReportType,
    TrajectoryStatus,
)
from survey.models.staff import StaffUser

trajectory_coach = Table(
    "trajectory_coach",
    db.metadata,
    Column("trajectory_id", ForeignKey("trajectory.id", ondelete="CASCADE"), primary_key=True),
    Column("staff_user_id", ForeignKey("staff_user.id"), primary_key=True, index=True),
)

ALLOWED_TRANSITIONS: dict[TrajectoryStatus, frozenset[TrajectoryStatus]] = {
    TrajectoryStatus.REQUESTED: frozenset({TrajectoryStatus.ACTIVE, TrajectoryStatus.CLOSED}),
    TrajectoryStatus.ACTIVE: frozenset({TrajectoryStatus.ON_HOLD, TrajectoryStatus.CLOSED}),
    TrajectoryStatus.ON_HOLD: frozenset({TrajectoryStatus.ACTIVE, TrajectoryStatus.CLOSED}),
    # A closed trajectory stays closed: renewed support is a new trajectory with its own goals.
    TrajectoryStatus.CLOSED: frozenset(),
}


class InvalidTransitionError(ValueError):
    """A status change the trajectory's state machine does not allow."""


class Trajectory(db.Model):
    __tablename__ = "trajectory"
    __table_args__ = (
        UniqueConstraint("centre_id", "code"),
        # Team-directed support serves a school team, not a pupil with a report.
        CheckConstraint("(focus = 'team') = (report_type IS NULL)", name="report_type_by_focus"),
        CheckConstraint(
            "(status = 'on_hold') = (hold_reason IS NOT NULL)", name="hold_reason_by_status"
        ),
        CheckConstraint(
            "(status = 'closed') = (close_reason IS NOT NULL)", name="close_reason_by_status"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centre.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    focus: Mapped[Focus] = enum_column(Focus, "focus")
    report_type: Mapped[ReportType | None] = enum_column(ReportType, "report_type", nullable=True)
    disability_type: Mapped[DisabilityType] = enum_column(DisabilityType, "disability_type")
    level: Mapped[Level] = enum_column(Level, "level")
    start_date: Mapped[date]
    status: Mapped[TrajectoryStatus] = enum_column(
        TrajectoryStatus, "status", default=TrajectoryStatus.REQUESTED
    )
    hold_reason: Mapped[HoldReason | None] = enum_column(HoldReason, "hold_reason", nullable=True)
    close_reason: Mapped[CloseReason | None] = enum_column(
        CloseReason, "close_reason", nullable=True
    )
    status_note: Mapped[str | None] = mapped_column(Text)
    status_since: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    centre: Mapped[Centre] = relationship()
    school: Mapped[School] = relationship()
    coaches: Mapped[list[StaffUser]] = relationship(
        secondary=trajectory_coach, order_by="StaffUser.name"
    )
    history: Mapped[list[TrajectoryStatusChange]] = relationship(
        back_populates="trajectory",
        order_by="[TrajectoryStatusChange.changed_on, TrajectoryStatusChange.id]",
        cascade="all, delete-orphan",
    )

    @classmethod
    def create(
        cls, *, on: date, changed_by: StaffUser | None = None, **attributes: object
    ) -> Trajectory:
        """A new trajectory in status *requested*, with the first line of its history."""
        trajectory = cls(status=TrajectoryStatus.REQUESTED, status_since=on, **attributes)
        trajectory.history.append(
            TrajectoryStatusChange(
                changed_on=on, to_status=TrajectoryStatus.REQUESTED, changed_by=changed_by
            )
        )
        return trajectory

    def can_change_to(self, new_status: TrajectoryStatus) -> bool:
        return new_status in ALLOWED_TRANSITIONS[self.status]

    def change_status(
        self,
        new_status: TrajectoryStatus,
        *,
        on: date,
        hold_reason: HoldReason | None = None,
        close_reason: CloseReason | None = None,
        note: str | None = None,
        changed_by: StaffUser | None = None,
    ) -> TrajectoryStatusChange:
        """Move to ``new_status`` and record the change; raise on a transition not allowed.

        On hold needs a hold reason, closed needs a close reason, and "other" needs a note,
        because the council's figures count trajectories by reason.
        """
        if not self.can_change_to(new_status):
            raise InvalidTransitionError(f"{self.status.value} -> {new_status.value}")
        if (new_status is TrajectoryStatus.ON_HOLD) != (hold_reason is not None):
            raise InvalidTransitionError("a hold reason goes with (and only with) on hold")
        if (new_status is TrajectoryStatus.CLOSED) != (close_reason is not None):
            raise InvalidTransitionError("a close reason goes with (and only with) closed")
        note = (note or "").strip() or None
        is_other = hold_reason is HoldReason.OTHER or close_reason is CloseReason.OTHER
        if is_other and note is None:
            raise InvalidTransitionError("reason 'other' needs a note")
        if self.history and on < self.history[-1].changed_on:
            raise InvalidTransitionError("a status change cannot predate the previous one")
        change = TrajectoryStatusChange(
            changed_on=on,
            from_status=self.status,
            to_status=new_status,
            hold_reason=hold_reason,
            close_reason=close_reason,
            note=note,
            changed_by=changed_by,
        )
        self.status = new_status
        self.hold_reason = hold_reason
        self.close_reason = close_reason
        self.status_note = note
        self.status_since = on
        self.history.append(change)
        return change

    def __repr__(self) -> str:
        return f"<Trajectory {self.code} {self.status}>"


class TrajectoryStatusChange(db.Model):
    __tablename__ = "trajectory_status_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    trajectory_id: Mapped[int] = mapped_column(
        ForeignKey("trajectory.id", ondelete="CASCADE"), index=True
    )
    changed_on: Mapped[date]
    from_status: Mapped[TrajectoryStatus | None] = enum_column(
        TrajectoryStatus, "from_status", nullable=True
    )
    to_status: Mapped[TrajectoryStatus] = enum_column(TrajectoryStatus, "to_status")
    hold_reason: Mapped[HoldReason | None] = enum_column(HoldReason, "hold_reason", nullable=True)
    close_reason: Mapped[CloseReason | None] = enum_column(
        CloseReason, "close_reason", nullable=True
    )
    note: Mapped[str | None] = mapped_column(Text)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    trajectory: Mapped[Trajectory] = relationship(back_populates="history")
    changed_by: Mapped[StaffUser | None] = relationship()

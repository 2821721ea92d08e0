"""Which trajectories a staff user may see. Every query here is scoped to the user's centre."""

from __future__ import annotations

from sqlalchemy import Select, case, false, select
from sqlalchemy.orm import selectinload

from survey.extensions import db
from survey.models import Role, StaffUser, Trajectory, TrajectoryStatus

CENTRE_WIDE_ROLES = frozenset({Role.COORDINATOR, Role.ADMIN})

# Work in progress first: active, on hold, requested; closed trajectories last.
STATUS_ORDER = case(
    {
        TrajectoryStatus.ACTIVE.value: 0,
        TrajectoryStatus.ON_HOLD.value: 1,
        TrajectoryStatus.REQUESTED.value: 2,
        TrajectoryStatus.CLOSED.value: 3,
    },
    value=Trajectory.status,
)


def visible_trajectories(user: StaffUser) -> Select[tuple[Trajectory]]:
    """Coordinators and admins see their centre's trajectories, a coach only their own.

    School users see aggregates of their school, never a single trajectory.
    """
    statement = select(Trajectory).where(Trajectory.centre_id == user.centre_id)
    if user.role in CENTRE_WIDE_ROLES:
        return statement
    if user.role is Role.COACH:
        return statement.where(Trajectory.coaches.any(StaffUser.id == user.id))
    return statement.where(false())


def find_visible_trajectory(user: StaffUser, code: str) -> Trajectory | None:
    """The trajectory with this code if ``user`` may see it; ``None`` both when it does not
    exist and when it is not theirs, so the answer does not confirm that it exists."""
    if "\x00" in code:  # no code holds NUL, and PostgreSQL refuses it in a query (a 500)
        return None
    statement = (
        visible_trajectories(user)
        .where(Trajectory.code == code)
        .options(selectinload(Trajectory.coaches), selectinload(Trajectory.history))
    )
    return db.session.scalar(statement)

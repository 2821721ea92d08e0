"""Trajectory status is a state machine with reasons and a history of every change."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.exc import IntegrityError

from survey.models import (
    CloseReason,
    Focus,
    HoldReason,
    InvalidTransitionError,
    TrajectoryStatus,
)


@pytest.fixture
def trajectory(make):
    return make.trajectory(make.school(make.centre()), on=date(2025, 9, 1))


def test_history_records_every_change(db, trajectory):
    trajectory.change_status(TrajectoryStatus.ACTIVE, on=date(2025, 9, 15))
    trajectory.change_status(
        TrajectoryStatus.ON_HOLD, on=date(2026, 1, 10), hold_reason=HoldReason.PRIORITISING
    )
    trajectory.change_status(TrajectoryStatus.ACTIVE, on=date(2026, 3, 1))
    trajectory.change_status(
        TrajectoryStatus.CLOSED, on=date(2026, 6, 20), close_reason=CloseReason.GOALS_REACHED
    )
    db.session.flush()
    db.session.expire_all()
    assert [c.to_status for c in trajectory.history] == [
        TrajectoryStatus.REQUESTED,
        TrajectoryStatus.ACTIVE,
        TrajectoryStatus.ON_HOLD,
        TrajectoryStatus.ACTIVE,
        TrajectoryStatus.CLOSED,
    ]
    assert trajectory.history[2].hold_reason is HoldReason.PRIORITISING
    assert trajectory.close_reason is CloseReason.GOALS_REACHED
    assert trajectory.status_since == date(2026, 6, 20)


def test_on_hold_needs_a_reason_and_other_needs_a_note(trajectory):
    trajectory.change_status(TrajectoryStatus.ACTIVE, on=date(2025, 9, 15))
    with pytest.raises(InvalidTransitionError, match="hold reason"):
        trajectory.change_status(TrajectoryStatus.ON_HOLD, on=date(2025, 10, 1))
    with pytest.raises(InvalidTransitionError, match="needs a note"):
        trajectory.change_status(
            TrajectoryStatus.ON_HOLD, on=date(2025, 10, 1), hold_reason=HoldReason.OTHER
        )
    trajectory.change_status(
        TrajectoryStatus.ON_HOLD,
        on=date(2025, 10, 1),
        hold_reason=HoldReason.OTHER,
        note="Langdurig ziek",
    )
    assert trajectory.status_note == "Langdurig ziek"


def test_closed_needs_a_close_reason_and_is_final(trajectory):
    with pytest.raises(InvalidTransitionError, match="close reason"):
        trajectory.change_status(TrajectoryStatus.CLOSED, on=date(2025, 10, 1))
    trajectory.change_status(
        TrajectoryStatus.CLOSED, on=date(2025, 10, 1), close_reason=CloseReason.FAMILY_DECLINES
    )
    for status in TrajectoryStatus:
        with pytest.raises(InvalidTransitionError):
            trajectory.change_status(status, on=date(2025, 11, 1))


def test_requested_cannot_go_on_hold_and_changes_cannot_predate(trajectory):
    with pytest.raises(InvalidTransitionError, match="requested -> on_hold"):
        trajectory.change_status(
            TrajectoryStatus.ON_HOLD, on=date(2025, 10, 1), hold_reason=HoldReason.PRIORITISING
        )
    with pytest.raises(InvalidTransitionError, match="predate"):
        trajectory.change_status(TrajectoryStatus.ACTIVE, on=date(2025, 1, 1))


def test_code_is_unique_per_centre_only(db, make):
    first, second = make.centre(), make.centre()
    make.trajectory(make.school(first), code="LSC-001")
    make.trajectory(make.school(second), code="LSC-001")  # another centre: allowed
    with pytest.raises(IntegrityError):
        make.trajectory(make.school(first), code="LSC-001")


def test_database_refuses_a_report_type_on_team_support(db, make):
    trajectory = make.trajectory(make.school(make.centre()), focus=Focus.TEAM)
    assert trajectory.report_type is None
    trajectory.report_type = "GC"
    with pytest.raises(IntegrityError):
        db.session.flush()


def test_database_refuses_on_hold_without_reason(db, make):
    trajectory = make.trajectory(make.school(make.centre()))
    trajectory.status = TrajectoryStatus.ON_HOLD  # bypassing the model's rule on purpose
    with pytest.raises(IntegrityError):
        db.session.flush()

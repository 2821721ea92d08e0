"""Trajectory figures as a council follows them (seed 004): caseload, on hold, closed, flow.

Statuses are reconstructed from the status history, so a report for a past period shows the
caseload as it was on that period's last day, not as it is today. These are the centre's own
operational counts of pseudonymous trajectories, not respondents' answers, so the anonymity
threshold does not apply to them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from survey import clock
from survey.extensions import db
from survey.models import (
    CloseReason,
    DisabilityType,
    Focus,
    HoldReason,
    Level,
    ReportType,
    Trajectory,
    TrajectoryStatus,
    TrajectoryStatusChange,
)


@dataclass(frozen=True)
class Count:
    key: object  # an enum member, or a plain label such as "IAC / OV4"
    count: int
    total: int

    @property
    def share(self) -> float | None:
        return self.count / self.total if self.total else None


@dataclass
class Flow:
    """What happened between ``start`` and ``end`` (both days included)."""

    active_at_start: int = 0
    requested: int = 0
    started: int = 0
    put_on_hold: int = 0
    resumed: int = 0
    closed: int = 0
    active_at_end: int = 0


@dataclass
class TrajectoryFigures:
    start: date
    end: date
    as_of: date
    status_at_end: dict[TrajectoryStatus, int]
    by_report: list[Count]
    by_report_detail: list[Count]
    by_disability: list[Count]
    by_level: list[Count]
    by_focus: list[Count]
    on_hold_by_reason: list[Count]
    closed_by_reason: list[Count]
    flow: Flow = field(default_factory=Flow)

    @property
    def active(self) -> int:
        return self.status_at_end.get(TrajectoryStatus.ACTIVE, 0)


def _counts(counter: Counter, keys) -> list[Count]:
    total = sum(counter.values())
    return [Count(key, counter.get(key, 0), total) for key in keys]


def trajectory_figures(
    centre, start: date, end: date, school_id: int | None = None
) -> TrajectoryFigures:
    """Counts for ``centre`` (or one school) between ``start`` and ``end``.

    ``end`` after today is read as today: the future has no statuses yet.
    """
    as_of = min(end, clock.today())
    scope = [Trajectory.centre_id == centre.id]
    if school_id is not None:
        scope.append(Trajectory.school_id == school_id)
    trajectories = {
        row.id: row
        for row in db.session.execute(
            select(
                Trajectory.id,
                Trajectory.focus,
                Trajectory.report_type,
                Trajectory.disability_type,
                Trajectory.level,
            ).where(*scope)
        )
    }
    changes = db.session.execute(
        select(
            TrajectoryStatusChange.trajectory_id,
            TrajectoryStatusChange.changed_on,
            TrajectoryStatusChange.from_status,
            TrajectoryStatusChange.to_status,
            TrajectoryStatusChange.hold_reason,
            TrajectoryStatusChange.close_reason,
        )
        .join(Trajectory)
        .where(*scope, TrajectoryStatusChange.changed_on <= as_of)
        .order_by(
            TrajectoryStatusChange.trajectory_id,
            TrajectoryStatusChange.changed_on,
            TrajectoryStatusChange.id,
        )
    ).all()

    before: dict[int, TrajectoryStatus] = {}
    at_end: dict[int, tuple] = {}
    flow = Flow()
    closed = Counter()
    for trajectory_id, changed_on, from_status, to_status, hold, close in changes:
        if changed_on < start:
            before[trajectory_id] = to_status
        else:
            if to_status is TrajectoryStatus.REQUESTED:
                flow.requested += 1
            elif to_status is TrajectoryStatus.ACTIVE:
                if from_status is TrajectoryStatus.ON_HOLD:
                    flow.resumed += 1
                else:
                    flow.started += 1
            elif to_status is TrajectoryStatus.ON_HOLD:
                flow.put_on_hold += 1
            elif to_status is TrajectoryStatus.CLOSED:
                flow.closed += 1
                closed[close] += 1
        at_end[trajectory_id] = (to_status, hold)
    flow.active_at_start = sum(1 for s in before.values() if s is TrajectoryStatus.ACTIVE)

    status_at_end = Counter(status for status, _ in at_end.values())
    flow.active_at_end = status_at_end.get(TrajectoryStatus.ACTIVE, 0)
    active = [trajectories[t] for t, (s, _) in at_end.items() if s is TrajectoryStatus.ACTIVE]
    on_hold = Counter(h for s, h in at_end.values() if s is TrajectoryStatus.ON_HOLD)
    reports = Counter(t.report_type for t in active if t.report_type is not None)
    # The council follows GC against IAC/OV4 together (seed 004), as counts and shares.
    adapted = reports.get(ReportType.IAC, 0) + reports.get(ReportType.OV4, 0)
    with_report = reports.get(ReportType.GC, 0) + adapted
    return TrajectoryFigures(
        start=start,
        end=end,
        as_of=as_of,
        status_at_end={s: status_at_end.get(s, 0) for s in TrajectoryStatus},
        by_report=[
            Count(ReportType.GC, reports.get(ReportType.GC, 0), with_report),
            Count("IAC / OV4", adapted, with_report),
        ],
        by_report_detail=_counts(reports, list(ReportType)),
        by_disability=_counts(Counter(t.disability_type for t in active), list(DisabilityType)),
        by_level=_counts(Counter(t.level for t in active), list(Level)),
        by_focus=_counts(Counter(t.focus for t in active), list(Focus)),
        on_hold_by_reason=_counts(on_hold, list(HoldReason)),
        closed_by_reason=_counts(closed, list(CloseReason)),
        flow=flow,
    )

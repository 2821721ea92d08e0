"""Counts for the staff home page, scoped to one centre (or one coach or school)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select

from survey.extensions import db
from survey.models import (
    AnonymousResponse,
    Audience,
    Centre,
    Focus,
    MatrixResponse,
    ReportType,
    Role,
    School,
    StaffUser,
    Trajectory,
    TrajectoryStatus,
)


@dataclass(frozen=True)
class Share:
    label: object
    count: int
    total: int

    @property
    def fraction(self) -> float:
        return self.count / self.total if self.total else 0.0


@dataclass
class CentreOverview:
    centre: Centre
    school_count: int
    coach_count: int
    by_status: dict[TrajectoryStatus, int]
    active_by_report: list[Share]
    active_by_focus: dict[Focus, int]
    responses_by_year: dict[str, dict[Audience, int]] = field(default_factory=dict)
    matrix_response_count: int = 0

    @property
    def trajectory_count(self) -> int:
        return sum(self.by_status.values())

    @property
    def active_count(self) -> int:
        return self.by_status.get(TrajectoryStatus.ACTIVE, 0)


def _counts_by(column, *conditions) -> dict:
    rows = db.session.execute(select(column, func.count()).where(*conditions).group_by(column))
    return dict(rows.all())


def centre_overview(centre: Centre, school: School | None = None) -> CentreOverview:
    """Trajectory and response counts for the centre, or for one of its schools."""
    trajectory_scope = [Trajectory.centre_id == centre.id]
    response_scope = [AnonymousResponse.centre_id == centre.id]
    if school is not None:
        trajectory_scope.append(Trajectory.school_id == school.id)
        response_scope.append(AnonymousResponse.school_id == school.id)

    by_status = _counts_by(Trajectory.status, *trajectory_scope)
    active = (*trajectory_scope, Trajectory.status == TrajectoryStatus.ACTIVE)
    by_report = _counts_by(Trajectory.report_type, *active)
    with_report = sum(count for key, count in by_report.items() if key is not None)
    # The council follows GC against IAC/OV4 (seed 004), so the two are shown side by side.
    gc = by_report.get(ReportType.GC, 0)
    adapted = by_report.get(ReportType.IAC, 0) + by_report.get(ReportType.OV4, 0)

    responses_by_year: dict[str, dict[Audience, int]] = {}
    rows = db.session.execute(
        select(AnonymousResponse.school_year, AnonymousResponse.audience, func.count())
        .where(*response_scope)
        .group_by(AnonymousResponse.school_year, AnonymousResponse.audience)
        .order_by(AnonymousResponse.school_year.desc())
    )
    for year, audience, count in rows:
        responses_by_year.setdefault(year, {})[audience] = count

    matrix_scope = [MatrixResponse.centre_id == centre.id]
    if school is not None:
        matrix_scope.append(
            MatrixResponse.trajectory_id.in_(
                select(Trajectory.id).where(Trajectory.school_id == school.id)
            )
        )
    return CentreOverview(
        centre=centre,
        school_count=db.session.scalar(
            select(func.count()).select_from(School).where(School.centre_id == centre.id)
        )
        or 0,
        coach_count=db.session.scalar(
            select(func.count())
            .select_from(StaffUser)
            .where(StaffUser.centre_id == centre.id, StaffUser.role == Role.COACH)
        )
        or 0,
        by_status=by_status,
        active_by_report=[
            Share("GC", gc, with_report),
            Share("IAC / OV4", adapted, with_report),
        ],
        active_by_focus=_counts_by(Trajectory.focus, *active),
        responses_by_year=responses_by_year,
        matrix_response_count=db.session.scalar(
            select(func.count()).select_from(MatrixResponse).where(*matrix_scope)
        )
        or 0,
    )

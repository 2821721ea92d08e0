"""Creating and editing trajectories and changing their status.

Shared by the staff pages and the import: both go through :func:`code_problem` and
:func:`apply_support`, so a code or a combination of fields refused on one path is refused
on the other too. Nothing here commits; the caller commits once per request.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import func, select

from survey.extensions import db
from survey.models import (
    Centre,
    CloseReason,
    DisabilityType,
    Focus,
    HoldReason,
    Level,
    ReportType,
    Role,
    School,
    StaffUser,
    Trajectory,
    TrajectoryStatus,
    TrajectoryStatusChange,
)
from survey.models.trajectory import InvalidTransitionError

CODE_MAX_LENGTH = 40
# No spaces: a pupil's name ("Jan Peeters") cannot slip in as a code, and the code is safe in
# a URL path segment (/trajectories/<code>) without escaping.
CODE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
# These are pages under /trajectories/; a trajectory with such a code could not be opened.
RESERVED_CODES = frozenset({"new", "import"})


class StatusChangeError(ValueError):
    """A status change refused, with a message for the user (already translated) and the
    form field it is about, if any."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class SupportFields:
    """The kind of support a trajectory gives: what the form and the import both set."""

    school: School
    focus: Focus
    report_type: ReportType | None
    disability_type: DisabilityType
    level: Level
    start_date: date
    coaches: Sequence[StaffUser]


def code_problem(code: str) -> str | None:
    """Why ``code`` cannot be a trajectory code (a translated message), or ``None``."""
    if not code:
        return _("Fill in the trajectory's code.")
    if (
        len(code) > CODE_MAX_LENGTH
        or not CODE_PATTERN.fullmatch(code)
        or code.lower() in RESERVED_CODES
    ):
        return _(
            "A code holds only letters, digits, dots, dashes and underscores, without spaces "
            "(at most %(count)d characters). Use the code from your registration system, "
            "never a pupil's name.",
            count=CODE_MAX_LENGTH,
        )
    return None


def report_type_problem(focus: Focus | None, report_type: ReportType | None) -> str | None:
    """Team-directed support serves a school team, not a pupil with a report (BRIEF.md §1)."""
    if focus is Focus.TEAM and report_type is not None:
        return _("Team-directed support has no report: leave the report type empty.")
    if focus is not None and focus is not Focus.TEAM and report_type is None:
        return _("Choose the report type (GC, IAC or OV4) for pupil- or teacher-directed support.")
    return None


def code_taken(centre_id: int, code: str, *, except_id: int | None = None) -> bool:
    statement = select(func.count()).where(
        Trajectory.centre_id == centre_id, Trajectory.code == code
    )
    if except_id is not None:
        statement = statement.where(Trajectory.id != except_id)
    return bool(db.session.scalar(statement))


def centre_schools(centre_id: int) -> list[School]:
    return list(
        db.session.scalars(
            select(School).where(School.centre_id == centre_id).order_by(School.name)
        )
    )


def centre_coaches(centre_id: int, keep: Iterable[StaffUser] = ()) -> list[StaffUser]:
    """The centre's enabled coaches, plus ``keep`` (coaches already assigned, even if their
    account was disabled since: editing other fields must not drop them silently)."""
    coaches = {
        user.id: user
        for user in db.session.scalars(
            select(StaffUser).where(
                StaffUser.centre_id == centre_id,
                StaffUser.role == Role.COACH,
                StaffUser.is_enabled.is_(True),
            )
        )
    }
    for user in keep:
        coaches.setdefault(user.id, user)
    return sorted(coaches.values(), key=lambda user: (user.name.casefold(), user.email))


_SUPPORT_ATTRIBUTES = ("school", "focus", "report_type", "disability_type", "level", "start_date")


def support_differs(trajectory: Trajectory, fields: SupportFields) -> bool:
    """Whether :func:`apply_support` would change anything (the import's dry run asks)."""
    if any(getattr(trajectory, name) != getattr(fields, name) for name in _SUPPORT_ATTRIBUTES):
        return True
    return {coach.id for coach in trajectory.coaches} != {coach.id for coach in fields.coaches}


def apply_support(trajectory: Trajectory, fields: SupportFields) -> bool:
    """Set the support fields and coaches; ``True`` when anything changed."""
    if not support_differs(trajectory, fields):
        return False
    for name in _SUPPORT_ATTRIBUTES:
        if getattr(trajectory, name) != getattr(fields, name):
            setattr(trajectory, name, getattr(fields, name))
    if {coach.id for coach in trajectory.coaches} != {coach.id for coach in fields.coaches}:
        trajectory.coaches = list({coach.id: coach for coach in fields.coaches}.values())
    return True


def create_trajectory(
    centre: Centre, code: str, fields: SupportFields, *, on: date, by: StaffUser | None
) -> Trajectory:
    """A new trajectory in status *requested*; the caller checked the code first."""
    trajectory = Trajectory.create(
        on=on,
        changed_by=by,
        centre=centre,
        code=code,
        school=fields.school,
        focus=fields.focus,
        report_type=fields.report_type,
        disability_type=fields.disability_type,
        level=fields.level,
        start_date=fields.start_date,
        coaches=list({coach.id: coach for coach in fields.coaches}.values()),
    )
    db.session.add(trajectory)
    return trajectory


def next_statuses(trajectory: Trajectory) -> list[TrajectoryStatus]:
    """The statuses this trajectory may move to, in the enum's order."""
    return [status for status in TrajectoryStatus if trajectory.can_change_to(status)]


def change_trajectory_status(
    trajectory: Trajectory,
    new_status: TrajectoryStatus,
    *,
    on: date,
    today: date,
    hold_reason: HoldReason | None = None,
    close_reason: CloseReason | None = None,
    note: str | None = None,
    by: StaffUser | None = None,
) -> TrajectoryStatusChange:
    """Record a status change, or raise :class:`StatusChangeError` with a Dutch message.

    A reason that does not belong to the new status is dropped (the form shows both lists);
    the model's state machine has the last word.
    """
    if not trajectory.can_change_to(new_status):
        raise StatusChangeError(
            _("This trajectory cannot move to that status from its current one."), "status"
        )
    if new_status is not TrajectoryStatus.ON_HOLD:
        hold_reason = None
    if new_status is not TrajectoryStatus.CLOSED:
        close_reason = None
    if new_status is TrajectoryStatus.ON_HOLD and hold_reason is None:
        raise StatusChangeError(_("Choose why the support goes on hold."), "hold_reason")
    if new_status is TrajectoryStatus.CLOSED and close_reason is None:
        raise StatusChangeError(_("Choose why the trajectory closes."), "close_reason")
    note = (note or "").strip() or None
    is_other = hold_reason is HoldReason.OTHER or close_reason is CloseReason.OTHER
    if is_other and note is None:
        raise StatusChangeError(_("Explain the reason “other” in a note."), "note")
    if on > today:
        raise StatusChangeError(_("The date cannot lie in the future."), "changed_on")
    if trajectory.history and on < trajectory.history[-1].changed_on:
        raise StatusChangeError(
            _(
                "The date cannot lie before the previous status change (%(date)s).",
                date=format_date(trajectory.history[-1].changed_on),
            ),
            "changed_on",
        )
    try:
        return trajectory.change_status(
            new_status,
            on=on,
            hold_reason=hold_reason,
            close_reason=close_reason,
            note=note,
            changed_by=by,
        )
    except InvalidTransitionError as exc:
        # The checks above mirror the model's; this is the safety net if the two drift apart.
        raise StatusChangeError(_("This status change is not possible.")) from exc

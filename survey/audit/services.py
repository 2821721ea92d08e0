"""Recording and reading staff views of trajectory-level feedback, and who made links."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from survey.auth.services import normalise_email
from survey.extensions import db
from survey.models import Audience, AuditEntry, Campaign, StaffUser, Trajectory

# The actions the feature pages record, with their label in the log.
ACTION_LABELS = {
    "view_matrix": _l("Viewed the feedbackmatrix"),
    "view_evaluation": _l("Viewed an evaluation"),
    "print_evaluation": _l("Printed an evaluation"),
    "record_evaluation": _l("Recorded an evaluation"),
    "make_links": _l("Made respondent links"),
}
# Ends the detail of links made on the command line, which has no user: the log then says so
# rather than "deleted account".
CLI_MARK = " (klankbord invite)"
_ACTION_LENGTH = 40  # AuditEntry.action
_DETAIL_LENGTH = 200  # AuditEntry.detail


def record_view(
    user: StaffUser, trajectory: Trajectory, action: str, detail: str | None = None
) -> None:
    """Add an audit entry; the caller's single commit stores it with the rest of the request.

    A page that only shows feedback commits after rendering, so that the view is logged.
    """
    if trajectory.centre_id != user.centre_id:
        # A view across centres is a bug in the caller's access check: refuse to hide it.
        raise ValueError("a user can only view trajectories of their own centre")
    if not action or len(action) > _ACTION_LENGTH:
        raise ValueError(f"an audit action has 1 to {_ACTION_LENGTH} characters: {action!r}")
    if detail is not None and len(detail) > _DETAIL_LENGTH:
        detail = detail[: _DETAIL_LENGTH - 1] + "…"
    db.session.add(
        AuditEntry(
            centre_id=user.centre_id,
            user_id=user.id,
            action=action,
            trajectory_id=trajectory.id,
            detail=detail,
        )
    )


def record_links_made(
    campaign: Campaign, audience: Audience, count: int, user: StaffUser | None
) -> None:
    """Record who made how many links of which campaign (``user`` None: the command line).

    A staff member who answers k-1 links of their own into a group learns the k-th answer
    from the batch it completes; this trail is how such a pattern is found
    (docs/anonymity.md, "Remaining insider risk").
    """
    db.session.add(
        AuditEntry(
            centre_id=campaign.centre_id,
            user_id=user.id if user is not None else None,
            action="make_links",
            trajectory_id=campaign.trajectory_id,
            detail=f"campaign {campaign.id}, {audience.value}: {count}"
            + ("" if user is not None else CLI_MARK),
        )
    )


def action_label(action: str) -> object:
    return ACTION_LABELS.get(action, action)


def audit_entries(
    centre_id: int, trajectory_code: str | None = None, email: str | None = None
) -> Select[tuple[AuditEntry]]:
    """The centre's entries, newest first, optionally for one trajectory code or one user."""
    statement = (
        select(AuditEntry)
        .where(AuditEntry.centre_id == centre_id)
        .options(selectinload(AuditEntry.user), selectinload(AuditEntry.trajectory))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    )
    if trajectory_code:
        statement = statement.join(Trajectory, AuditEntry.trajectory_id == Trajectory.id).where(
            func.upper(Trajectory.code) == trajectory_code.strip().upper()
        )
    if email:
        statement = statement.join(StaffUser, AuditEntry.user_id == StaffUser.id).where(
            func.lower(StaffUser.email) == normalise_email(email)
        )
    return statement

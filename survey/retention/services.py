"""What ``klankbord purge`` deletes, and from when on.

Each kind of data has one period (survey/config.py, README "Retention"). Everything happens in
the caller's transaction, so a purge either deletes all it reports or nothing. Child rows are
deleted explicitly before their parents rather than left to ``ON DELETE CASCADE``: the counts
then never depend on a foreign-key pragma, and the order is visible here.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, delete, func, not_, or_, select, update

from survey.extensions import db
from survey.models import (
    AuditEntry,
    Campaign,
    Invitation,
    MatrixAnswer,
    MatrixComment,
    MatrixResponse,
    PasswordToken,
    QuestionnaireMode,
    QuestionnaireVersion,
    Trajectory,
    TrajectoryStatus,
)
from survey.privacy import retention as privacy_retention
from survey.schoolyear import school_year_bounds, school_year_of


class Kind(enum.StrEnum):
    """What a purge counts, in the order it deletes (children before what they point to)."""

    ANONYMOUS_RESPONSES = "anonymous_responses"
    MATRIX_RESPONSES = "matrix_responses"
    DRAFTS = "drafts"
    SPENT_LINKS = "spent_links"
    INVITATIONS = "invitations"
    EMAIL_ADDRESSES = "email_addresses"
    AUDIT_ENTRIES = "audit_entries"
    ACCOUNT_LINKS = "account_links"  # one-time links to (re)set a password


@dataclass(frozen=True)
class RetentionPolicy:
    """How long each kind is kept; read from the app's configuration (survey/config.py)."""

    anonymous_school_years: int
    matrix_days: int
    draft_days: int
    invitation_days: int
    audit_days: int

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> RetentionPolicy:
        return cls(
            anonymous_school_years=config["RETENTION_ANONYMOUS_SCHOOL_YEARS"],
            matrix_days=config["RETENTION_MATRIX_DAYS"],
            draft_days=config["RETENTION_DRAFT_DAYS"],
            invitation_days=config["RETENTION_INVITATION_DAYS"],
            audit_days=config["RETENTION_AUDIT_DAYS"],
        )


@dataclass(frozen=True)
class Cutoffs:
    """The oldest school year and the first days that are kept: anything before them goes."""

    school_year: str
    matrix: date
    drafts: date
    invitations: date
    audit: date
    now: datetime

    @classmethod
    def compute(cls, policy: RetentionPolicy, today: date, now: datetime) -> Cutoffs:
        current_start = int(school_year_of(today)[:4])
        oldest_start = current_start - (policy.anonymous_school_years - 1)
        return cls(
            school_year=f"{oldest_start}-{oldest_start + 1}",
            matrix=today - timedelta(days=policy.matrix_days),
            drafts=today - timedelta(days=policy.draft_days),
            invitations=today - timedelta(days=policy.invitation_days),
            audit=today - timedelta(days=policy.audit_days),
            now=now,
        )

    @property
    def school_year_start(self) -> date:
        return school_year_bounds(self.school_year)[0]


@dataclass(frozen=True)
class PurgeOutcome:
    cutoffs: Cutoffs
    counts: dict[Kind, int]
    # Answers of ended campaigns still waiting for a batch of k: reported, kept.
    waiting_in_inbox: int
    dry_run: bool


def _closed_trajectories(before: date) -> Select[tuple[int]]:
    return select(Trajectory.id).where(
        Trajectory.status == TrajectoryStatus.CLOSED, Trajectory.status_since < before
    )


def _campaigns_of_mode(mode: QuestionnaireMode) -> Select[tuple[int]]:
    return (
        select(Campaign.id)
        .join(QuestionnaireVersion, Campaign.questionnaire_version_id == QuestionnaireVersion.id)
        .where(QuestionnaireVersion.mode == mode)
    )


def _ended_campaigns(before: date) -> Select[tuple[int]]:
    # A closed campaign ended on its closing day; one never closed (close-expired not run)
    # ended on its planned last day, since it takes no answers after it either.
    return select(Campaign.id).where(func.coalesce(Campaign.closed_on, Campaign.closes_on) < before)


def _invitations_to_delete(cutoffs: Cutoffs) -> ColumnElement[bool]:
    """Invitations of campaigns ended before the cutoff that no page counts any more.

    Invitations are the denominator of response rates: the council report counts a school
    year's satisfaction invitations, the feedbackmatrix page a round's. So an invitation goes
    only once the answers it is counted against are gone as well: a satisfaction invitation
    with its school year, a feedbackmatrix invitation with its trajectory's matrix answers.
    """
    anonymous_year_gone = and_(
        Invitation.campaign_id.in_(_campaigns_of_mode(QuestionnaireMode.ANONYMOUS)),
        Invitation.created_on < cutoffs.school_year_start,
    )
    matrix_answers_gone = Invitation.campaign_id.in_(
        _campaigns_of_mode(QuestionnaireMode.OPEN).where(
            Campaign.trajectory_id.in_(_closed_trajectories(cutoffs.matrix))
        )
    )
    return and_(
        Invitation.campaign_id.in_(_ended_campaigns(cutoffs.invitations)),
        or_(anonymous_year_gone, matrix_answers_gone),
    )


def _count(model: Any, condition: ColumnElement[bool]) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(condition)) or 0


def _delete(
    model: Any,
    condition: ColumnElement[bool],
    dry_run: bool,
    children: tuple[Any, ...] = (),
) -> int:
    if dry_run:
        return _count(model, condition)
    for child in children:
        doomed = select(model.id).where(condition)
        db.session.execute(
            delete(child)
            .where(child.response_id.in_(doomed))
            .execution_options(synchronize_session=False)
        )
    result = db.session.execute(
        delete(model).where(condition).execution_options(synchronize_session=False)
    )
    return result.rowcount


def purge(policy: RetentionPolicy, today: date, now: datetime, dry_run: bool) -> PurgeOutcome:
    """Delete (or, with ``dry_run``, only count) everything past its retention period.

    The caller commits: one transaction for the whole purge. ``now`` is naive UTC, like the
    timestamps it is compared with.
    """
    cutoffs = Cutoffs.compute(policy, today, now)
    counts: dict[Kind, int] = {}

    # Anonymous data is deleted by its one writer (survey.privacy).
    expired_waiting = privacy_retention.purge_waiting(cutoffs.school_year, dry_run)
    counts[Kind.ANONYMOUS_RESPONSES] = len(expired_waiting) + privacy_retention.purge_published(
        cutoffs.school_year, dry_run
    )
    counts[Kind.MATRIX_RESPONSES] = _delete(
        MatrixResponse,
        MatrixResponse.trajectory_id.in_(_closed_trajectories(cutoffs.matrix)),
        dry_run,
        children=(MatrixAnswer, MatrixComment),
    )

    invitations = _invitations_to_delete(cutoffs)
    ended = _ended_campaigns(cutoffs.invitations)
    # Drafts left alone for too long, and those of campaigns long ended (closing deletes
    # them already; this catches campaigns that ended without being closed).
    counts[Kind.DRAFTS] = privacy_retention.purge_drafts(cutoffs.drafts, ended, dry_run)
    counts[Kind.SPENT_LINKS] = privacy_retention.purge_spent_links(ended, dry_run)
    counts[Kind.INVITATIONS] = _delete(Invitation, invitations, dry_run)

    # Invitations kept for the response rates must not keep an address either. Closing a
    # campaign erases them already; this catches campaigns that ended without being closed.
    addresses = and_(
        Invitation.campaign_id.in_(_ended_campaigns(cutoffs.invitations)),
        or_(Invitation.email.is_not(None), Invitation.sealed_link.is_not(None)),
        not_(invitations),
    )
    if dry_run:
        counts[Kind.EMAIL_ADDRESSES] = _count(Invitation, addresses)
    else:
        counts[Kind.EMAIL_ADDRESSES] = db.session.execute(
            update(Invitation)
            .where(addresses)
            .values(email=None, sealed_link=None)
            .execution_options(synchronize_session=False)
        ).rowcount

    counts[Kind.AUDIT_ENTRIES] = _delete(
        AuditEntry, AuditEntry.at < datetime.combine(cutoffs.audit, time.min), dry_run
    )
    # Expired links, used or not. A used link is kept until it expires (at most 7 days), so
    # a second click on it still says "already used" rather than "unknown link".
    counts[Kind.ACCOUNT_LINKS] = _delete(PasswordToken, PasswordToken.expires_at < now, dry_run)

    # What a dry run would delete is not "kept" either.
    waiting = privacy_retention.waiting_of_ended_campaigns(today, excluding=expired_waiting)
    if not dry_run:
        # The bulk statements bypassed the session: objects it still holds may be gone.
        db.session.expire_all()
    return PurgeOutcome(cutoffs, counts, waiting, dry_run)

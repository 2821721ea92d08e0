"""Deleting anonymous data past its retention period (called by ``klankbord purge``).

Everything happens in the caller's transaction. Children go before their parents explicitly,
so the counts never depend on a foreign-key pragma.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy import Select, delete, func, or_, select

from survey.extensions import db
from survey.models import AnonymousAnswer, AnonymousComment, AnonymousResponse, Campaign
from survey.privacy.inbox import open_all
from survey.privacy.keys import subkey
from survey.privacy.models import ResponseDraft, ResponseInbox, SpentLink


def _count(statement: Select) -> int:
    return db.session.scalar(select(func.count()).select_from(statement.subquery())) or 0


def purge_published(before_school_year: str, dry_run: bool) -> int:
    """Published answers of school years before ``before_school_year``, with their children."""
    doomed = select(AnonymousResponse.id).where(
        # "2023-2024" < "2024-2025": the fixed format sorts like the years it names.
        AnonymousResponse.school_year < before_school_year
    )
    if dry_run:
        return _count(doomed)
    for child in (AnonymousAnswer, AnonymousComment):
        db.session.execute(
            delete(child)
            .where(child.response_id.in_(doomed))
            .execution_options(synchronize_session=False)
        )
    return db.session.execute(
        delete(AnonymousResponse)
        .where(AnonymousResponse.id.in_(doomed))
        .execution_options(synchronize_session=False)
    ).rowcount


def purge_drafts(saved_before: date, campaigns_gone: Select, dry_run: bool) -> int:
    """Drafts last saved before ``saved_before``, or of campaigns whose links go."""
    condition = or_(
        ResponseDraft.updated_on < saved_before, ResponseDraft.campaign_id.in_(campaigns_gone)
    )
    if dry_run:
        return _count(select(ResponseDraft.id).where(condition))
    return db.session.execute(
        delete(ResponseDraft).where(condition).execution_options(synchronize_session=False)
    ).rowcount


def purge_spent_links(campaigns_ended: Select, dry_run: bool) -> int:
    """Spent links of campaigns that ended long enough ago: they guard nothing any more."""
    condition = SpentLink.campaign_id.in_(campaigns_ended)
    if dry_run:
        return _count(select(SpentLink.nullifier).where(condition))
    return db.session.execute(
        delete(SpentLink).where(condition).execution_options(synchronize_session=False)
    ).rowcount


def purge_waiting(before_school_year: str, dry_run: bool) -> list[uuid.UUID]:
    """Waiting answers of school years before the cutoff go; the ids of those that go.

    An answer that never joined a batch of k (even for the whole centre) waits; once its
    school year is past retention it can never be shown, so it goes like the published ones.
    """
    rows = db.session.execute(select(ResponseInbox.__table__)).all()
    opened, _unreadable = open_all(rows, subkey("inbox"))
    doomed = [answer.id for answer in opened if answer.attributes.school_year < before_school_year]
    if doomed and not dry_run:
        db.session.execute(
            delete(ResponseInbox)
            .where(ResponseInbox.id.in_(doomed))
            .execution_options(synchronize_session=False)
        )
    return doomed


def waiting_of_ended_campaigns(today: date, excluding: Sequence[uuid.UUID] = ()) -> int:
    """Answers of ended campaigns that still wait for a batch of k (``excluding`` some)."""
    ended = select(Campaign.id).where(func.coalesce(Campaign.closed_on, Campaign.closes_on) < today)
    condition = ResponseInbox.campaign_id.in_(ended)
    if excluding:
        condition = condition & ResponseInbox.id.not_in(list(excluding))
    return db.session.scalar(select(func.count()).select_from(ResponseInbox).where(condition)) or 0

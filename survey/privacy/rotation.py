"""Replacing the anonymity key: waiting answers are re-sealed; links must be finished first.

Every link is authenticated under the old key's ``link`` sub-key and its spent state is an
HMAC under the old ``spent`` sub-key, so a new key ends every link that was ever made. The
rotation therefore refuses while any campaign could still take answers (a draft campaign, or
an open one before its closing day). What waits in the inbox is re-sealed under the new key,
so no answer is lost; drafts, which only their tokens could re-seal, belong to closed
campaigns and were deleted when those closed.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import delete, func, or_, select, update

from survey.extensions import db
from survey.models import Campaign, CampaignStatus
from survey.privacy.inbox import reseal
from survey.privacy.keys import derive, master_key, replace_check
from survey.privacy.models import ResponseDraft, ResponseInbox


class RotationRefusedError(RuntimeError):
    """The key cannot be replaced while ``unfinished`` campaigns can still take answers."""

    def __init__(self, unfinished: int) -> None:
        super().__init__(f"{unfinished} campaign(s) can still take answers")
        self.unfinished = unfinished


def rotate_key(new_master: bytes, today: date) -> int:
    """Re-seal the inbox under ``new_master`` and store its check value; the rows re-sealed.

    In the caller's transaction. Every application server must get the new key before it
    serves again (README, Privacy): the old one no longer matches the stored check value.
    """
    unfinished = db.session.scalar(
        select(func.count())
        .select_from(Campaign)
        .where(
            or_(
                Campaign.status == CampaignStatus.DRAFT,
                (Campaign.status == CampaignStatus.OPEN) & (Campaign.closes_on >= today),
            )
        )
    )
    if unfinished:
        raise RotationRefusedError(unfinished)
    old, new = derive(master_key(), "inbox"), derive(new_master, "inbox")
    inbox = ResponseInbox.__table__
    rows = db.session.execute(select(inbox).with_for_update()).all()
    for row in rows:
        db.session.execute(
            update(inbox).where(inbox.c.id == row.id).values(sealed=reseal(row, old, new))
        )
    db.session.execute(delete(ResponseDraft))
    replace_check(new_master)
    return len(rows)

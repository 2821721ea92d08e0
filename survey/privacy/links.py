"""Opening a respondent's link: its campaign, whether it was answered, its draft; one query."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from survey.extensions import db
from survey.models import Campaign
from survey.privacy.drafts import open_draft
from survey.privacy.models import ResponseDraft
from survey.privacy.spending import is_spent, spent_clause
from survey.privacy.tokens import Link, read_link

_drafts = ResponseDraft.__table__

# Built once: every respondent request runs it. The link's campaign with its questionnaire
# version, whether the link was spent and its sealed draft, in one round trip; nothing in it
# names or locks an invitation.
_OPEN_LINK = (
    select(
        Campaign,
        spent_clause(bindparam("nullifier")).label("spent"),
        select(_drafts.c.sealed)
        .where(_drafts.c.id == bindparam("draft_id"))
        .scalar_subquery()
        .label("draft"),
    )
    .where(Campaign.id == bindparam("campaign_id"))
    .options(joinedload(Campaign.questionnaire_version, innerjoin=True))
)


@dataclass
class OpenedLink:
    link: Link
    campaign: Campaign
    spent: bool
    draft: dict[str, Any] | None


def open_link(token: str) -> OpenedLink | None:
    """The link behind ``token``, or ``None`` for a token Klankbord did not make."""
    link = read_link(token)
    if link is None:
        return None
    row = db.session.execute(
        _OPEN_LINK,
        {"campaign_id": link.campaign_id, "nullifier": link.nullifier, "draft_id": link.draft_id},
    ).first()
    if row is None:
        return None
    campaign, spent, sealed = row
    if link.audience.value not in campaign.audiences:
        return None
    return OpenedLink(link, campaign, bool(spent), None if spent else open_draft(link, sealed))


def link_spent(token: str) -> bool | None:
    """Whether the link was answered; ``None`` for a token Klankbord did not make."""
    link = read_link(token)
    if link is None:
        return None
    return is_spent(link)

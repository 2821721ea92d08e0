"""Counting anonymous answers for bookkeeping, without reading any of them."""

from __future__ import annotations

from sqlalchemy import func, select

from survey.extensions import db
from survey.models import AnonymousResponse, Campaign
from survey.privacy.models import ResponseInbox


def answers_to_version(version_id: int) -> int:
    """Anonymous answers given to a questionnaire version: published, or waiting for a batch.

    A waiting answer's version is sealed, but its campaign (in clear) asks that version: an
    answer waiting in the inbox is an answer to the version all the same, and must keep the
    wording it was given to.
    """
    published = db.session.scalar(
        select(func.count())
        .select_from(AnonymousResponse)
        .where(AnonymousResponse.questionnaire_version_id == version_id)
    )
    waiting = db.session.scalar(
        select(func.count())
        .select_from(ResponseInbox)
        .join(Campaign, Campaign.id == ResponseInbox.campaign_id)
        .where(Campaign.questionnaire_version_id == version_id)
    )
    return (published or 0) + (waiting or 0)

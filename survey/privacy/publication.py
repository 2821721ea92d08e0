"""Publication: batches of at least k answers with identical attributes, shuffled, undated.

Runs from ``klankbord daily`` and when a campaign closes, never in a respondent's request
(docs/anonymity.md, "The inbox and k-anonymous batches"). Every batch adds at least k answers
to a group, so a difference between two outputs taken around a publication covers at least k
answers.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import date

from sqlalchemy import delete, insert, select, update

from survey.extensions import db
from survey.models import AnonymousAnswer, AnonymousComment, AnonymousResponse, Audience, Campaign
from survey.privacy.inbox import Attributes, Waiting, open_all
from survey.privacy.keys import subkey
from survey.privacy.models import ResponseInbox

_shuffle = random.SystemRandom().shuffle


@dataclass(frozen=True)
class PublishedAnswer:
    """One anonymous answer as it is published: attributes, scale values, free texts."""

    attributes: Attributes
    values: dict[str, int]
    texts: dict[str, str]


# The order in which a group that cannot reach k before its campaign ends is coarsened: first
# the coach goes (a teacher's rating then counts for the school), then the school (the answer
# counts for the centre only). An answer whose campaign is still open keeps its attributes.
GENERALISATIONS: tuple[Callable[[Attributes], Attributes], ...] = (
    lambda attributes: attributes,
    Attributes.without_coach,
    Attributes.without_school,
)


@dataclass(frozen=True)
class PublicationOutcome:
    published: int
    generalised: int
    waiting: int
    # Rows that do not open under the configured key: left waiting, never published.
    unreadable: int = 0


def store_published(answers: Sequence[PublishedAnswer], published_on: date) -> None:
    """Insert answers into the anonymous tables: shuffled, under fresh random ids.

    The one writer of ``anonymous_response`` and its answers and comments; the demo's
    synthetic history comes through here too.
    """
    order = list(answers)
    _shuffle(order)
    responses, values, texts = [], [], []
    for answer in order:
        response_id = uuid.uuid4()
        responses.append(
            asdict(answer.attributes)
            | {
                "id": response_id,
                "audience": Audience(answer.attributes.audience),
                "published_on": published_on,
            }
        )
        values += [
            {"response_id": response_id, "item_id": k, "value": v} for k, v in answer.values.items()
        ]
        texts += [
            {"response_id": response_id, "question_id": k, "text": v}
            for k, v in answer.texts.items()
        ]
    if responses:
        db.session.execute(insert(AnonymousResponse.__table__), responses)
    if values:
        db.session.execute(insert(AnonymousAnswer.__table__), values)
    if texts:
        db.session.execute(insert(AnonymousComment.__table__), texts)


def _ended_campaigns(campaign_ids: Iterable[int], today: date) -> set[int]:
    campaigns = db.session.scalars(select(Campaign).where(Campaign.id.in_(set(campaign_ids))))
    return {campaign.id for campaign in campaigns if campaign.ended_on(today) is not None}


def form_batches(
    waiting: Sequence[Waiting], ended: set[int], threshold: int
) -> list[tuple[Attributes, list[Waiting]]]:
    """Group waiting answers into batches of at least ``threshold`` identical attributes.

    Each generalisation level is tried in turn on what is left; at every level an answer
    whose campaign has not ended keeps its own attributes, so it can only join a batch that
    already has them. What is left after the last level keeps waiting.
    """
    batches: list[tuple[Attributes, list[Waiting]]] = []
    left = list(waiting)
    for generalise in GENERALISATIONS:
        groups: dict[Attributes, list[Waiting]] = defaultdict(list)
        for answer in left:
            final = answer.campaign_id in ended
            groups[generalise(answer.attributes) if final else answer.attributes].append(answer)
        left = []
        for attributes, members in groups.items():
            if len(members) >= threshold:
                batches.append((attributes, members))
            else:
                left += members
    return batches


def publish(today: date, threshold: int) -> PublicationOutcome:
    """Publish every batch that can be formed now, in the caller's transaction (it commits).

    Waiting rows are read FOR UPDATE SKIP LOCKED, so two publications at once (a closing and
    the daily run) never publish the same answer twice.
    """
    inbox = ResponseInbox.__table__
    rows = db.session.execute(select(inbox).with_for_update(skip_locked=True)).all()
    if not rows:
        return PublicationOutcome(0, 0, 0)
    waiting, unreadable = open_all(rows, subkey("inbox"))
    ended = _ended_campaigns({answer.campaign_id for answer in waiting}, today)
    batches = form_batches(waiting, ended, threshold)
    published = [
        PublishedAnswer(attributes, member.values, member.texts)
        for attributes, members in batches
        for member in members
    ]
    store_published(published, today)
    members = [member for _attributes, group in batches for member in group]
    if members:
        db.session.execute(delete(inbox).where(inbox.c.id.in_([m.id for m in members])))
        _count_published(Counter(member.campaign_id for member in members))
    generalised = sum(
        1 for attributes, group in batches for member in group if member.attributes != attributes
    )
    return PublicationOutcome(len(members), generalised, len(rows) - len(members), unreadable)


def _count_published(per_campaign: Counter[int]) -> None:
    campaigns = Campaign.__table__
    for campaign_id, count in per_campaign.items():
        db.session.execute(
            update(campaigns)
            .where(campaigns.c.id == campaign_id)
            .values(published_answers=campaigns.c.published_answers + count)
        )

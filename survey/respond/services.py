"""Answering: pages, drafts, atomic submission and the publication of anonymous answers."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import delete, func, insert, literal, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from questionnaires import Item, OpenQuestion, Questionnaire
from survey.campaigns.services import questionnaire_of
from survey.extensions import db
from survey.models import (
    DONT_KNOW,
    AnonymousAnswer,
    AnonymousComment,
    AnonymousResponse,
    Audience,
    Campaign,
    Invitation,
    MatrixAnswer,
    MatrixComment,
    MatrixResponse,
    QuestionnaireMode,
    ResponseDraft,
    ResponseInbox,
)
from survey.schoolyear import school_year_of

# A form with at most this many questions fits one scrolling page.
ONE_PAGE_LIMIT = 12
ADULT_PAGE_SIZE = 7

_shuffle = random.SystemRandom().shuffle


@dataclass(frozen=True)
class Page:
    items: tuple[Item, ...]
    open_questions: tuple[OpenQuestion, ...]

    @property
    def ids(self) -> list[str]:
        return [item.id for item in self.items] + [q.id for q in self.open_questions]


@dataclass
class Answers:
    """What a respondent has given so far: scale values and free texts by id."""

    values: dict[str, int] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"values": self.values, "texts": self.texts}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Answers:
        data = data or {}
        return cls(dict(data.get("values", {})), dict(data.get("texts", {})))


def plan_pages(questionnaire: Questionnaire, audience: str) -> list[Page]:
    """Pupils get one statement per screen; adults one page, or pages of seven when longer."""
    items = questionnaire.items_for(audience)
    questions = questionnaire.open_questions
    if audience == Audience.PUPIL.value:
        pages = [Page((item,), ()) for item in items]
        if questions:
            pages.append(Page((), questions))
        return pages
    if len(items) + len(questions) <= ONE_PAGE_LIMIT:
        return [Page(items, questions)]
    chunks = [items[i : i + ADULT_PAGE_SIZE] for i in range(0, len(items), ADULT_PAGE_SIZE)]
    pages = [Page(chunk, ()) for chunk in chunks]
    last = pages[-1]
    pages[-1] = Page(last.items, questions)
    return pages


def load_draft(invitation: Invitation) -> Answers:
    draft = invitation.draft
    return Answers.from_json(draft.answers if draft else None)


# The upsert is written in each dialect's own words; both take ON CONFLICT ... DO UPDATE.
_INSERT_OR_UPDATE = {"postgresql": postgresql_insert, "sqlite": sqlite_insert}


def save_draft(invitation: Invitation, answers: Answers, today: date) -> bool:
    """Keep the answers given so far; ``False`` when the link was answered meanwhile.

    One statement, which writes only while the link is unspent. A respondent may send the form
    in one tab while a page is saved in another: a draft written after the submission would
    keep the answers, tied to the link, next to the anonymous response they became, for anyone
    holding the database to pair up. On PostgreSQL the statement reads the link FOR SHARE, so a
    save waits for a submission in flight (which holds the link's row from its UPDATE) and then
    sees the link spent; SQLite runs one writing transaction at a time. The upsert lets two
    tabs that save their first draft at the same moment both succeed instead of one failing on
    the primary key.
    """
    links, drafts = Invitation.__table__, ResponseDraft.__table__
    unspent = (
        select(
            links.c.id,
            literal(answers.as_json(), drafts.c.answers.type),
            literal(today, drafts.c.updated_on.type),
        )
        .where(links.c.id == invitation.id, links.c.used.is_(False))
        .with_for_update(read=True)
    )
    dialect = db.session.get_bind().dialect.name
    upsert = _INSERT_OR_UPDATE[dialect](drafts).from_select(
        ["invitation_id", "answers", "updated_on"], unspent
    )
    upsert = upsert.on_conflict_do_update(
        index_elements=[drafts.c.invitation_id],
        set_={"answers": upsert.excluded.answers, "updated_on": upsert.excluded.updated_on},
    )
    saved = db.session.execute(upsert.returning(drafts.c.invitation_id)).first()
    return saved is not None


def first_missing_page(pages: list[Page], answers: Answers) -> int | None:
    """The first page with a required statement left unanswered, if any."""
    for number, page in enumerate(pages):
        if any(item.required and item.id not in answers.values for item in page.items):
            return number
    return None


def submit(invitation: Invitation, answers: Answers, today: date) -> bool:
    """Store the answers and spend the link, all or nothing. ``False`` if already spent.

    The conditional UPDATE is the guard against a double tap or a resubmit: of two
    concurrent submissions only one changes the row, and the other stores nothing.

    The statements on this path (and in publish_inbox) address the tables, not the mapped
    classes: the ORM's bulk-statement machinery (synchronising the session, evaluating the
    criteria in Python) was a measurable share of a submission and buys nothing here.
    """
    links = Invitation.__table__
    spent = db.session.execute(
        update(links)
        .where(links.c.id == invitation.id, links.c.used.is_(False))
        .values(used=True, email=None)
    )
    if spent.rowcount != 1:
        return False
    campaign = invitation.campaign
    questionnaire = questionnaire_of(campaign)
    values = _clean_values(questionnaire, invitation.audience.value, answers)
    texts = {key: text for key, text in answers.texts.items() if text}
    if campaign.questionnaire_version.mode is QuestionnaireMode.OPEN:
        _store_matrix(campaign, invitation.audience, values, texts, today)
    else:
        _store_in_inbox(campaign, invitation.audience, values, texts, today)
    drafts = ResponseDraft.__table__
    db.session.execute(delete(drafts).where(drafts.c.invitation_id == invitation.id))
    return True


def _clean_values(questionnaire: Questionnaire, audience: str, answers: Answers) -> dict:
    known = {item.id: questionnaire.scales[item.scale].points for item in questionnaire.items}
    return {
        item_id: value
        for item_id, value in answers.values.items()
        if item_id in known and (value == DONT_KNOW or 1 <= value <= known[item_id])
    }


def _store_matrix(
    campaign: Campaign, role: Audience, values: dict, texts: dict, today: date
) -> None:
    response = MatrixResponse(
        questionnaire_version_id=campaign.questionnaire_version_id,
        centre_id=campaign.centre_id,
        trajectory_id=campaign.trajectory_id,
        role=role,
        campaign_id=campaign.id,
        submitted_on=today,
    )
    response.answers = [MatrixAnswer(item_id=k, value=v) for k, v in values.items()]
    response.comments = [MatrixComment(question_id=k, text=v) for k, v in texts.items()]
    db.session.add(response)


def _store_in_inbox(
    campaign: Campaign, audience: Audience, values: dict, texts: dict, today: date
) -> None:
    coach_id = None
    if audience is Audience.TEACHER and campaign.trajectory is not None:
        # A teacher rates the coaching received: the coach is one of the few attributes kept.
        coaches = campaign.trajectory.coaches
        coach_id = coaches[0].id if coaches else None
    payload = {
        "questionnaire_version_id": campaign.questionnaire_version_id,
        "school_id": campaign.school_id_for_responses,
        "school_year": school_year_of(today),
        "audience": audience.value,
        "coach_id": coach_id,
        "submitted_on": today.isoformat(),
        "values": values,
        "texts": texts,
    }
    db.session.execute(
        insert(ResponseInbox.__table__).values(
            centre_id=campaign.centre_id, campaign_id=campaign.id, payload=payload
        )
    )


def inbox_reached(minimum: int) -> bool:
    """Whether at least ``minimum`` answers wait in the inbox, this transaction's included.

    A count is cheaper than publish_inbox's locking read in a transaction of its own, and most
    submissions find fewer waiting than the threshold: only those that do go on to publish.
    """
    waiting = db.session.scalar(select(func.count()).select_from(ResponseInbox.__table__))
    return (waiting or 0) >= minimum


def publish_inbox(minimum: int, campaign: Campaign | None = None) -> int:
    """Move waiting anonymous answers to ``anonymous_response`` once at least ``minimum`` wait.

    Rows are published together, shuffled, under new random ids, so the order and the
    transaction they land in say nothing about which invitation each came from.
    """
    inbox = ResponseInbox.__table__
    statement = select(inbox)
    if campaign is not None:
        statement = statement.where(inbox.c.campaign_id == campaign.id)
    waiting = db.session.execute(statement.with_for_update(skip_locked=True)).all()
    if not waiting or len(waiting) < minimum:
        return 0
    waiting = list(waiting)
    _shuffle(waiting)
    responses, answers, comments = [], [], []
    for row in waiting:
        data = row.payload
        response_id = uuid.uuid4()
        responses.append(
            {
                "id": response_id,
                "questionnaire_version_id": data["questionnaire_version_id"],
                "centre_id": row.centre_id,
                "school_id": data["school_id"],
                "school_year": data["school_year"],
                "audience": Audience(data["audience"]),
                "coach_id": data["coach_id"],
                "submitted_on": date.fromisoformat(data["submitted_on"]),
            }
        )
        answers += [
            {"response_id": response_id, "item_id": k, "value": v}
            for k, v in data["values"].items()
        ]
        comments += [
            {"response_id": response_id, "question_id": k, "text": v}
            for k, v in data["texts"].items()
        ]
    db.session.execute(insert(AnonymousResponse.__table__), responses)
    if answers:
        db.session.execute(insert(AnonymousAnswer.__table__), answers)
    if comments:
        db.session.execute(insert(AnonymousComment.__table__), comments)
    db.session.execute(delete(inbox).where(inbox.c.id.in_([row.id for row in waiting])))
    return len(waiting)

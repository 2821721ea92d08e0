"""Answering: pages, drafts and the atomic submission of a form."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from questionnaires import Item, OpenQuestion, Questionnaire
from survey.campaigns.services import questionnaire_of
from survey.extensions import db
from survey.models import (
    DONT_KNOW,
    Audience,
    Campaign,
    MatrixAnswer,
    MatrixComment,
    MatrixResponse,
    QuestionnaireMode,
)
from survey.privacy import drafts
from survey.privacy.inbox import deposit
from survey.privacy.links import OpenedLink
from survey.privacy.sealing import bucket_for
from survey.privacy.spending import lock_link, spend

# A form with at most this many questions fits one scrolling page.
ONE_PAGE_LIMIT = 12
ADULT_PAGE_SIZE = 7


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


def load_draft(opened: OpenedLink) -> Answers:
    return Answers.from_json(opened.draft)


def save_draft(opened: OpenedLink, answers: Answers, today: date) -> bool:
    """Keep the answers given so far; ``False`` when the link was answered meanwhile."""
    questionnaire = questionnaire_of(opened.campaign)
    return drafts.save_draft(opened.link, answers.as_json(), today, bucket_for(questionnaire))


def first_missing_page(pages: list[Page], answers: Answers) -> int | None:
    """The first page with a required statement left unanswered, if any."""
    for number, page in enumerate(pages):
        if any(item.required and item.id not in answers.values for item in page.items):
            return number
    return None


def submit(opened: OpenedLink, answers: Answers, today: date) -> bool:
    """Store the answers and spend the link, all or nothing. ``False`` if already spent.

    Nothing that names the invitation is read, written or locked: the link's nullifier is
    written, the answer sealed into the inbox (anonymous) or stored with its trajectory
    (feedbackmatrix, open by design), and the draft deleted (docs/anonymity.md).
    """
    link, campaign = opened.link, opened.campaign
    lock_link(link)
    if not spend(link):
        return False
    questionnaire = questionnaire_of(campaign)
    values = _clean_values(questionnaire, link.audience.value, answers)
    texts = {key: text for key, text in answers.texts.items() if text}
    if campaign.questionnaire_version.mode is QuestionnaireMode.OPEN:
        _store_matrix(campaign, link.audience, values, texts, today)
    else:
        deposit(campaign, questionnaire, link.audience, values, texts, today)
    drafts.delete_draft(link)
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

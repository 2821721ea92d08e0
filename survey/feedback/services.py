"""Feedbackmatrix rounds of a trajectory, summarised per theme and perspective.

Only open-mode answers (``matrix_response``) are used: they are tied to the trajectory and a
role by design. Anonymous satisfaction answers never appear here.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from questionnaires import Questionnaire
from questionnaires.vocabulary import MATRIX_THEMES
from survey.extensions import db
from survey.models import (
    DONT_KNOW,
    Audience,
    Campaign,
    Invitation,
    MatrixResponse,
    QuestionnaireVersion,
    Trajectory,
)
from survey.questionnaire_versions.services import questionnaire_for

# The perspectives in the order the matrix shows them (BRIEF.md §3).
PERSPECTIVES = (
    Audience.PUPIL,
    Audience.PARENT,
    Audience.TEACHER,
    Audience.SCHOOL,
    Audience.COACH,
)
# A gap of at least one scale point between two perspectives is a conversation starter.
DIVERGENCE = 1.0


@dataclass
class Round:
    """One feedbackmatrix round: the answers collected for one campaign."""

    campaign_id: int | None
    opened_on: date
    closes_on: date | None
    respondents: dict[Audience, int] = field(default_factory=dict)
    invited: dict[Audience, int] = field(default_factory=dict)
    # theme -> perspective -> mean on the 1-4 scale (None without answers)
    means: dict[str, dict[Audience, float | None]] = field(default_factory=dict)
    comments: list[tuple[Audience, str, str]] = field(default_factory=list)

    def spread(self, theme: str) -> float | None:
        values = [v for v in self.means.get(theme, {}).values() if v is not None]
        return max(values) - min(values) if len(values) > 1 else None

    def divergent(self, theme: str) -> bool:
        spread = self.spread(theme)
        return spread is not None and spread >= DIVERGENCE

    def divergent_themes(self) -> list[str]:
        return [theme for theme in self.means if self.divergent(theme)]

    def status(self, audience: Audience) -> str:
        """``answered``, ``invited`` or ``none`` for one perspective in this round."""
        if self.respondents.get(audience):
            return "answered"
        if self.invited.get(audience):
            return "invited"
        return "none"


def _questionnaires(version_ids: set[int]) -> dict[int, Questionnaire]:
    versions = db.session.scalars(
        select(QuestionnaireVersion).where(QuestionnaireVersion.id.in_(version_ids))
    )
    return {v.id: questionnaire_for(v) for v in versions}


def matrix_rounds(trajectory: Trajectory) -> list[Round]:
    """Every round of the trajectory, oldest first."""
    responses = db.session.scalars(
        select(MatrixResponse)
        .where(MatrixResponse.trajectory_id == trajectory.id)
        .options(selectinload(MatrixResponse.answers), selectinload(MatrixResponse.comments))
        .order_by(MatrixResponse.submitted_on)
    ).all()
    campaigns = {
        c.id: c
        for c in db.session.scalars(select(Campaign).where(Campaign.trajectory_id == trajectory.id))
    }
    matrix_campaigns = {
        cid: c for cid, c in campaigns.items() if c.questionnaire_version.mode.value == "open"
    }
    questionnaires = _questionnaires({r.questionnaire_version_id for r in responses})

    rounds: dict[int | None, Round] = {}
    for campaign in matrix_campaigns.values():
        rounds[campaign.id] = Round(campaign.id, campaign.opens_on, campaign.closes_on)
    sums: dict[int | None, dict[str, dict[Audience, list[int]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(list))
    )
    for response in responses:
        key = response.campaign_id
        if key not in rounds:
            rounds[key] = Round(key, response.submitted_on, None)
        current = rounds[key]
        current.respondents[response.role] = current.respondents.get(response.role, 0) + 1
        questionnaire = questionnaires[response.questionnaire_version_id]
        themes = {item.id: item.theme for item in questionnaire.items}
        for answer in response.answers:
            if answer.value != DONT_KNOW and answer.item_id in themes:
                sums[key][themes[answer.item_id]][response.role].append(answer.value)
        questions = {
            q.id: q.text_for(response.role.value, "nl") for q in questionnaire.open_questions
        }
        for comment in response.comments:
            current.comments.append(
                (response.role, questions.get(comment.question_id, ""), comment.text)
            )

    invited = db.session.execute(
        select(Invitation.campaign_id, Invitation.audience).where(
            Invitation.campaign_id.in_(list(matrix_campaigns))
        )
    ).all()
    for campaign_id, audience in invited:
        counts = rounds[campaign_id].invited
        counts[audience] = counts.get(audience, 0) + 1

    for key, current in rounds.items():
        for theme in MATRIX_THEMES:
            values = sums[key].get(theme, {})
            current.means[theme] = {
                role: (sum(values[role]) / len(values[role]) if values.get(role) else None)
                for role in PERSPECTIVES
            }
    return sorted(rounds.values(), key=lambda r: r.opened_on)


def change(current: Round, previous: Round | None, theme: str, role: Audience) -> float | None:
    """How much one perspective's mean on a theme moved since the previous round."""
    if previous is None:
        return None
    now, before = current.means[theme][role], previous.means[theme][role]
    if now is None or before is None:
        return None
    return now - before

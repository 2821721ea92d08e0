"""Campaigns (bevragingen) and the single-use invitations handed out for them."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.extensions import db
from survey.models.base import enum_column, utcnow
from survey.models.centre import Centre, School
from survey.models.enums import Audience
from survey.models.questionnaire import QuestionnaireVersion
from survey.models.trajectory import Trajectory


class CampaignStatus(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class CampaignScope(enum.StrEnum):
    TRAJECTORY = "trajectory"
    SCHOOL = "school"
    CENTRE = "centre"


class CampaignStateError(ValueError):
    """A campaign transition its state does not allow."""


class Campaign(db.Model):
    """A questionnaire version put to some audiences of one trajectory, school or centre."""

    __tablename__ = "campaign"
    __table_args__ = (
        CheckConstraint(
            "(scope = 'trajectory') = (trajectory_id IS NOT NULL)", name="trajectory_by_scope"
        ),
        CheckConstraint("scope != 'school' OR school_id IS NOT NULL", name="school_by_scope"),
        CheckConstraint("closes_on >= opens_on", name="closes_after_opening"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centre.id"), index=True)
    questionnaire_version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_version.id"))
    scope: Mapped[CampaignScope] = enum_column(CampaignScope, "scope")
    trajectory_id: Mapped[int | None] = mapped_column(
        ForeignKey("trajectory.id", ondelete="CASCADE"), index=True
    )
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"))
    audiences: Mapped[list[str]] = mapped_column(JSON)
    opens_on: Mapped[date]
    closes_on: Mapped[date]
    status: Mapped[CampaignStatus] = enum_column(
        CampaignStatus, "status", default=CampaignStatus.DRAFT
    )
    closed_on: Mapped[date | None]
    # Anonymous answers of this campaign published so far (survey.privacy.publication): the
    # campaign page shows this, not the links spent, which would move with each respondent.
    published_answers: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    centre: Mapped[Centre] = relationship()
    questionnaire_version: Mapped[QuestionnaireVersion] = relationship()
    trajectory: Mapped[Trajectory | None] = relationship()
    school: Mapped[School | None] = relationship()

    def open(self) -> None:
        if self.status is not CampaignStatus.DRAFT:
            raise CampaignStateError(f"cannot open a {self.status.value} campaign")
        self.status = CampaignStatus.OPEN

    def close(self, on: date) -> None:
        if self.status is CampaignStatus.CLOSED:
            raise CampaignStateError("the campaign is already closed")
        self.status = CampaignStatus.CLOSED
        self.closed_on = on

    def accepts_answers(self, today: date) -> bool:
        return self.status is CampaignStatus.OPEN and self.opens_on <= today <= self.closes_on

    def ended_on(self, today: date) -> date | None:
        """The day answering stopped, or ``None`` while it is still possible (or not begun)."""
        if self.status is CampaignStatus.CLOSED:
            return self.closed_on or self.closes_on
        if today > self.closes_on:
            return self.closes_on
        return None

    @property
    def school_for_responses(self) -> School | None:
        """The school an answer is counted under (a coarse attribute reports need)."""
        if self.trajectory is not None:
            return self.trajectory.school
        return self.school

    @property
    def school_id_for_responses(self) -> int | None:
        """The id of :attr:`school_for_responses`, without loading the school."""
        if self.trajectory is not None:
            return self.trajectory.school_id
        return self.school_id


class Invitation(db.Model):
    """A link handed out: counted for the response rate, never looked up by the respondent.

    The token is not stored in any form the database holder could match: the link carries
    its campaign and audience under a MAC (survey.privacy.tokens), and answering it writes a
    nullifier elsewhere, so nothing here changes when the link is used.
    """

    __tablename__ = "invitation"
    # Leads with campaign_id, so it serves every "links of this campaign" query; audience
    # and day let the council report count a centre's invitations from the index alone
    # (bench/scale.py: 235 ms on 1.6 million links with the old campaign-only index).
    __table_args__ = (
        Index("ix_invitation_campaign_audience_created", "campaign_id", "audience", "created_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    audience: Mapped[Audience] = enum_column(Audience, "audience")
    language: Mapped[str] = mapped_column(String(5), default="nl")
    # Kept only until the reminder has gone or the campaign closes, then erased in bulk,
    # never when the link is used (that would time the use). The link is kept sealed under
    # the anonymity key for the same time, so that the reminder can carry the same link.
    email: Mapped[str | None] = mapped_column(String(254))
    sealed_link: Mapped[bytes | None] = mapped_column(LargeBinary)
    email_sent: Mapped[bool] = mapped_column(default=False)
    reminder_sent: Mapped[bool] = mapped_column(default=False)
    created_on: Mapped[date]

    campaign: Mapped[Campaign] = relationship()

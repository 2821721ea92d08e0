"""Stored answers.

Anonymous (satisfaction) responses and open (feedbackmatrix) responses live in separate
tables on purpose: the anonymous table has no column that could hold a trajectory, an
invitation or a person, so no code path can fill one in by mistake.

- Ids are random UUID4s, never sequential, so row order cannot be matched to invitation order.
- An anonymous answer carries the day its batch was published, never when it was sent: a
  submission time could be matched to a mail log. A feedbackmatrix answer keeps its day.
- No language, IP address or user agent: in a small school an answer in a rare home language
  would point to one family.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import CheckConstraint, ForeignKey, Index, SmallInteger, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.extensions import db
from survey.models.base import enum_column
from survey.models.enums import Audience
from survey.models.questionnaire import QuestionnaireVersion

# 0 is "don't know / not applicable"; 1..points are scale points, most negative first.
DONT_KNOW = 0


class _AnswerColumns:
    item_id: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[int] = mapped_column(SmallInteger)


class _CommentColumns:
    question_id: Mapped[str] = mapped_column(String(60), primary_key=True)
    text: Mapped[str] = mapped_column(Text)


class AnonymousResponse(db.Model):
    __tablename__ = "anonymous_response"
    __table_args__ = (
        # Only a teacher's rating of the coaching they received names the coach (LM2).
        CheckConstraint("coach_id IS NULL OR audience = 'teacher'", name="coach_only_teacher"),
        # Reports select by centre, school year and audience.
        Index("ix_anonymous_response_centre_year_audience", "centre_id", "school_year", "audience"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    questionnaire_version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_version.id"))
    centre_id: Mapped[int] = mapped_column(ForeignKey("centre.id"))
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"), index=True)
    school_year: Mapped[str] = mapped_column(String(9))
    audience: Mapped[Audience] = enum_column(Audience, "audience")
    coach_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), index=True)
    # The day its batch was published, never the day it was sent: a submission date could
    # be matched to a mail log or an access log.
    published_on: Mapped[date]

    questionnaire_version: Mapped[QuestionnaireVersion] = relationship()
    answers: Mapped[list[AnonymousAnswer]] = relationship(cascade="all, delete-orphan")
    comments: Mapped[list[AnonymousComment]] = relationship(cascade="all, delete-orphan")


class AnonymousAnswer(_AnswerColumns, db.Model):
    __tablename__ = "anonymous_answer"
    __table_args__ = (CheckConstraint("value >= 0", name="value_not_negative"),)

    response_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("anonymous_response.id", ondelete="CASCADE"), primary_key=True
    )


class AnonymousComment(_CommentColumns, db.Model):
    __tablename__ = "anonymous_comment"

    response_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("anonymous_response.id", ondelete="CASCADE"), primary_key=True
    )


class MatrixResponse(db.Model):
    """A feedbackmatrix answer: open by design, tied to a trajectory and a role, never a name."""

    __tablename__ = "matrix_response"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    questionnaire_version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_version.id"))
    centre_id: Mapped[int] = mapped_column(ForeignKey("centre.id"))
    trajectory_id: Mapped[int] = mapped_column(
        ForeignKey("trajectory.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[Audience] = enum_column(Audience, "role")
    # The feedbackmatrix round this answer belongs to (none for imported or demo history).
    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaign.id", ondelete="SET NULL"), index=True
    )
    submitted_on: Mapped[date]

    questionnaire_version: Mapped[QuestionnaireVersion] = relationship()
    answers: Mapped[list[MatrixAnswer]] = relationship(cascade="all, delete-orphan")
    comments: Mapped[list[MatrixComment]] = relationship(cascade="all, delete-orphan")


class MatrixAnswer(_AnswerColumns, db.Model):
    __tablename__ = "matrix_answer"
    __table_args__ = (CheckConstraint("value >= 0", name="value_not_negative"),)

    response_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("matrix_response.id", ondelete="CASCADE"), primary_key=True
    )


class MatrixComment(_CommentColumns, db.Model):
    __tablename__ = "matrix_comment"

    response_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("matrix_response.id", ondelete="CASCADE"), primary_key=True
    )

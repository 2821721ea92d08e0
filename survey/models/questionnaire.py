"""Registered questionnaire versions: a frozen copy of each file version that was loaded."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from survey.extensions import db
from survey.models.base import enum_column, utcnow
from survey.models.enums import QuestionnaireMode


class QuestionnaireVersion(db.Model):
    """One version of one questionnaire, as validated when it was registered.

    The definition is kept whole so that answers stay readable after the file moves on to a
    newer version; ``content_hash`` detects an edit made without raising the version.
    """

    __tablename__ = "questionnaire_version"
    __table_args__ = (UniqueConstraint("questionnaire_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[str] = mapped_column(String(60))
    version: Mapped[int]
    mode: Mapped[QuestionnaireMode] = enum_column(QuestionnaireMode, "mode")
    content_hash: Mapped[str] = mapped_column(String(64))
    # Deferred: every respondent request loads its campaign's version, but the parsed
    # questionnaire is cached per content hash, so the JSON is only needed on a cache miss.
    definition: Mapped[dict[str, Any]] = mapped_column(JSON, deferred=True)
    registered_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def label(self) -> str:
        return f"{self.questionnaire_id} v{self.version}"

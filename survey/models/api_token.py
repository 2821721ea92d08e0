"""Tokens for the read-only JSON API (``survey.api``): one centre each, stored as a hash."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.extensions import db
from survey.models.base import utcnow
from survey.models.centre import Centre
from survey.models.staff import StaffUser


class ApiToken(db.Model):
    """A bearer token that reads one centre's report figures.

    Only the token's SHA-256 is stored, so a copy of the database gives no access. Tokens are
    revoked, never deleted, so the list keeps showing who made which token.
    """

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centre.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Tokens made on the command line have no creator; one whose creator left keeps working.
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL")
    )
    revoked_at: Mapped[datetime | None]
    # A day, not a time: enough to spot unused tokens, and a read-only API then writes at
    # most once a day per token instead of on every call.
    last_used_on: Mapped[date | None]

    centre: Mapped[Centre] = relationship()
    created_by: Mapped[StaffUser | None] = relationship()

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} {self.name!r}>"

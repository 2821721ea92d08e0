"""Staff accounts: coaches, coordinators, school users and administrators."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.extensions import db
from survey.models.base import enum_column, utcnow
from survey.models.centre import Centre, School
from survey.models.enums import Role
from survey.passwords import hash_password, verify_password


class StaffUser(UserMixin, db.Model):
    __tablename__ = "staff_user"
    __table_args__ = (
        # A school user sees aggregates of exactly one school, so it must name that school.
        CheckConstraint(
            "(role = 'school') = (school_id IS NOT NULL)", name="school_user_has_school"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centre.id"), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = enum_column(Role, "role")
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    is_enabled: Mapped[bool] = mapped_column(default=True)
    # Part of every session's and remember cookie's user id (get_id): raising it ends every
    # session of the account, copies of a cookie included (a signed cookie outlives logout).
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    centre: Mapped[Centre] = relationship()
    school: Mapped[School | None] = relationship()

    @property
    def is_active(self) -> bool:  # Flask-Login refuses sessions of disabled accounts.
        return self.is_enabled

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    def end_sessions(self) -> None:
        """End every session of this account, on every device."""
        self.session_version = (self.session_version or 0) + 1

    def set_password(self, password: str) -> None:
        """A new password ends every session that the old one opened."""
        self.password_hash = hash_password(password)
        self.end_sessions()

    def check_password(self, password: str) -> bool:
        return verify_password(self.password_hash, password)

    def __repr__(self) -> str:
        return f"<StaffUser {self.email} {self.role}>"

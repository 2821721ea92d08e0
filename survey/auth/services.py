"""Account services used by the login view and the account commands."""

from __future__ import annotations

from sqlalchemy import func, select

from survey.extensions import db
from survey.models import StaffUser
from survey.passwords import burn_time


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> StaffUser | None:
    return db.session.scalar(
        select(StaffUser).where(func.lower(StaffUser.email) == normalise_email(email))
    )


def authenticate(email: str, password: str) -> StaffUser | None:
    """The enabled account with this e-mail and password, else ``None`` (same time either way)."""
    user = find_user_by_email(email)
    if user is None:
        burn_time(password)
        return None
    if not user.check_password(password) or not user.is_enabled:
        return None
    return user

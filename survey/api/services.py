"""API tokens, and the council report's figures as the API serves them.

The API reads the same suppressed report as the page and the CSV export (``cached_report`` and
``tidy_rows``), so it can never show a figure that those hide.
"""

from __future__ import annotations

import math
import re
import secrets
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from survey.extensions import db
from survey.models import ApiToken, Centre, School, StaffUser
from survey.models.base import utcnow
from survey.privacy.tokens import hash_token
from survey.reports.exports import COLUMNS, tidy_rows
from survey.reports.services import (
    cached_report,
    narrow,
    period_for,
    school_selection,
)

# A recognisable prefix lets secret scanners (and people) tell a Klankbord token from noise.
TOKEN_PREFIX = "kb_"  # noqa: S105 - a prefix, not a secret
TOKEN_BYTES = 32
NAME_LENGTH = 100  # ApiToken.name
# RFC 6750's b64token, with room to spare: anything longer is no token of ours.
_BEARER = re.compile(r"Bearer +([A-Za-z0-9\-._~+/]{1,200}=*) *", re.IGNORECASE | re.ASCII)


# ----------------------------------------------------------------------------------- tokens


def create_token(
    centre: Centre, name: str, created_by: StaffUser | None = None
) -> tuple[ApiToken, str]:
    """Store a new token's hash and return it with the token itself, which is never stored."""
    name = name.strip()
    if not name or len(name) > NAME_LENGTH:
        raise ValueError(f"a token name has 1 to {NAME_LENGTH} characters")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)
    token = ApiToken(
        centre_id=centre.id,
        name=name,
        token_hash=hash_token(secret),
        created_by_id=created_by.id if created_by else None,
    )
    db.session.add(token)
    db.session.flush()
    return token, secret


def revoke_token(token: ApiToken) -> bool:
    """Revoke ``token``; False if it already was (the first revocation time is kept)."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    return True


def tokens_of_centre(centre_id: int) -> Sequence[ApiToken]:
    """The centre's tokens, usable ones first, newest first."""
    return db.session.scalars(
        select(ApiToken)
        .where(ApiToken.centre_id == centre_id)
        .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc(), ApiToken.id.desc())
    ).all()


def token_in_centre(centre_id: int, token_id: int) -> ApiToken | None:
    """The token, if it belongs to this centre; ``None`` for another centre's tokens."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.centre_id != centre_id:
        return None
    return token


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer ...`` header, or ``None``."""
    match = _BEARER.fullmatch(authorization or "")
    return match.group(1) if match else None


def active_token(secret: str) -> ApiToken | None:
    """The unrevoked token whose hash matches ``secret``.

    Looking the hash up (rather than comparing secrets) leaves no timing difference to
    exploit: an attacker would have to guess a SHA-256 preimage.
    """
    return db.session.scalar(
        select(ApiToken).where(
            ApiToken.token_hash == hash_token(secret), ApiToken.revoked_at.is_(None)
        )
    )


def note_use(token: ApiToken, today: date) -> bool:
    """Record that ``token`` was used today; True when that changed something to commit."""
    if token.last_used_on == today:
        return False
    token.last_used_on = today
    return True


# ---------------------------------------------------------------------------------- data


def schools_of(centre: Centre) -> list[dict[str, Any]]:
    schools = db.session.scalars(
        select(School).where(School.centre_id == centre.id).order_by(School.name, School.id)
    )
    return [
        {"id": s.id, "name": s.name, "institution_number": s.institution_number} for s in schools
    ]


def school_in_centre(centre: Centre, school_id: int) -> School | None:
    school = db.session.get(School, school_id)
    if school is None or school.centre_id != centre.id:
        return None
    return school


@dataclass(frozen=True)
class RowFilter:
    """Which rows of the report a request asks for; ``None`` means no restriction."""

    school_year: str
    audience: str | None = None
    school: School | None = None
    group_type: str | None = None
    measure_type: str | None = None

    def keeps(self, row: dict[str, Any]) -> bool:
        return (
            (self.audience is None or row["audience"] == self.audience)
            and (
                self.school is None
                or (row["group_type"] == "school" and row["group_id"] == self.school.id)
            )
            and (self.group_type is None or row["group_type"] == self.group_type)
            and (self.measure_type is None or row["measure_type"] == self.measure_type)
        )


def _finite(value: Any) -> Any:
    # JSON has no NaN or infinity; an undefined figure is null, as in the exports.
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _selection_rows(centre: Centre, selection: RowFilter) -> tuple[list[dict[str, Any]], int]:
    """The rows of ``selection``'s audience and school (before the row filters), and k.

    Raises ``ReportRefused`` when the selection would narrow an audience or a school below
    the threshold: answering with an empty list would say the same thing less clearly.
    """
    whole = cached_report(centre, period_for(selection.school_year))
    key = (id(whole), selection.audience, selection.school.id if selection.school else None)
    hit = _rows_cache.get(key)
    if hit is not None and hit[0] is whole:
        return hit[1], whole.threshold
    report = narrow(whole, selection.audience)
    if selection.school is not None:
        report = school_selection(report, selection.school.id)
    rows = [
        {column: _finite(values[column]) for column in COLUMNS}
        for values in (row.as_dict() for row in tidy_rows(report))
    ]
    # The report is kept in the entry, so its id cannot be reused by another object meanwhile.
    with _rows_cache_lock:
        while len(_rows_cache) >= _ROWS_CACHE_SIZE:
            _rows_cache.pop(next(iter(_rows_cache)))
        _rows_cache[key] = (whole, rows)
    return rows, whole.threshold


# Paging through /results asks for the same rows again and again: keep the last few sets for
# as long as the cached report they were cut from is the current one.
_ROWS_CACHE_SIZE = 32
_rows_cache: dict[tuple, tuple[object, list[dict[str, Any]]]] = {}
_rows_cache_lock = threading.Lock()


def report_rows(centre: Centre, selection: RowFilter) -> tuple[list[dict[str, Any]], int]:
    """The tidy rows ``selection`` asks for, and the anonymity threshold they were cut with."""
    rows, threshold = _selection_rows(centre, selection)
    return [row for row in rows if selection.keeps(row)], threshold

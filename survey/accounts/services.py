"""Account services: one-time password links and the administrators' user management.

Nothing here commits: the view or command that calls it commits once, so a request either
stores everything it did or nothing.
"""

from __future__ import annotations

import enum
import secrets
import smtplib
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app, render_template
from flask_babel import force_locale, format_datetime
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from survey.auth.services import find_user_by_email, normalise_email
from survey.extensions import db
from survey.models import Centre, PasswordToken, Role, School, StaffUser
from survey.models.base import utcnow
from survey.privacy.tokens import hash_token

TOKEN_BYTES = 32
# A forgotten password is urgent and the link may sit in a shared mailbox: one hour. A new
# colleague may only read the welcome mail days later: a week.
RESET_LINK_LIFETIME = timedelta(hours=1)
SET_LINK_LIFETIME = timedelta(days=7)
# The interface and its e-mails are Dutch; mails are also sent from the command line, where
# no request picks a locale.
MAIL_LOCALE = "nl_BE"
# Longer than any token we issue; a longer path segment is not worth hashing.
_MAX_TOKEN_LENGTH = 100


class LinkKind(enum.StrEnum):
    SET = "set"
    RESET = "reset"


LIFETIMES = {LinkKind.SET: SET_LINK_LIFETIME, LinkKind.RESET: RESET_LINK_LIFETIME}


class TokenState(enum.Enum):
    VALID = "valid"
    UNKNOWN = "unknown"
    SPENT = "spent"  # used, expired, superseded or its account disabled


class AccountError(Exception):
    """A refusal whose message (already translated) can be shown to the user."""


class MailError(Exception):
    """The mail server refused the message or could not be reached."""


# --------------------------------------------------------------------------- password links


def issue_password_token(user: StaffUser, lifetime: timedelta) -> str:
    """Store a new token's hash for ``user`` and return the token itself (never stored)."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    db.session.add(
        PasswordToken(user=user, token_hash=hash_token(token), expires_at=utcnow() + lifetime)
    )
    db.session.flush()
    return token


def find_password_token(token: str) -> tuple[TokenState, PasswordToken | None]:
    """Look a token up by its hash and say whether it may still set a password."""
    if not token or len(token) > _MAX_TOKEN_LENGTH:
        return TokenState.UNKNOWN, None
    record = db.session.scalar(
        select(PasswordToken).where(PasswordToken.token_hash == hash_token(token))
    )
    if record is None:
        return TokenState.UNKNOWN, None
    if record.used or record.expires_at <= utcnow() or not record.user.is_enabled:
        return TokenState.SPENT, record
    return TokenState.VALID, record


def invalidate_tokens(user: StaffUser) -> None:
    """Spend every outstanding link of ``user`` (after a password change or disabling)."""
    db.session.execute(
        update(PasswordToken)
        .where(PasswordToken.user_id == user.id, PasswordToken.used.is_(False))
        .values(used=True)
        .execution_options(synchronize_session="fetch")
    )


def set_password_with_token(record: PasswordToken, password: str) -> StaffUser:
    """Set the password and spend this link and every other open link of the account."""
    user = record.user
    user.set_password(password)
    record.used = True
    invalidate_tokens(user)
    return user


def password_link(token: str) -> str:
    # Built from BASE_URL rather than url_for: the command line has no request to build from.
    return f"{current_app.config['BASE_URL'].rstrip('/')}/password/{token}"


def _send(message: EmailMessage) -> None:
    config = current_app.config
    try:
        with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=30) as smtp:
            if config["SMTP_STARTTLS"]:
                smtp.starttls()
            if config["SMTP_USER"]:
                smtp.login(config["SMTP_USER"], config["SMTP_PASSWORD"] or "")
            smtp.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        raise MailError(str(exc)) from exc


def send_password_link(user: StaffUser, kind: LinkKind) -> None:
    """Issue a one-time link of ``kind`` for ``user`` and e-mail it (raises MailError)."""
    lifetime = LIFETIMES[kind]
    token = issue_password_token(user, lifetime)
    with force_locale(MAIL_LOCALE):
        if kind is LinkKind.SET:
            subject = _("Choose your Klankbord password")
        else:
            subject = _("Reset your Klankbord password")
        body = render_template(
            "accounts/password_link.txt",
            kind=kind.value,
            user=user,
            url=password_link(token),
            valid_until=format_datetime(utcnow() + lifetime, "d MMMM y, HH:mm"),
        )
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = user.email
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="klankbord")
    message.set_content(body)
    _send(message)


def request_password_reset(email: str) -> bool:
    """Mail a reset link if an enabled account has this address; say whether one was sent.

    The caller shows the same answer either way, so the form does not reveal who has an
    account.
    """
    user = find_user_by_email(email)
    if user is None or not user.is_enabled:
        return False
    send_password_link(user, LinkKind.RESET)
    return True


# --------------------------------------------------------------------------- user management


def users_of_centre(centre_id: int) -> list[StaffUser]:
    return list(
        db.session.scalars(
            select(StaffUser)
            .where(StaffUser.centre_id == centre_id)
            .order_by(StaffUser.name, StaffUser.email)
        )
    )


def user_in_centre(centre_id: int, user_id: int) -> StaffUser | None:
    """The account, if it belongs to this centre; ``None`` for another centre's accounts."""
    user = db.session.get(StaffUser, user_id)
    if user is None or user.centre_id != centre_id:
        return None
    return user


def school_in_centre(centre_id: int, school_id: int | None) -> School | None:
    if school_id is None:
        return None
    school = db.session.get(School, school_id)
    if school is None or school.centre_id != centre_id:
        raise AccountError(_("Choose one of the centre's schools."))
    return school


def _check_school(role: Role, school: School | None) -> School | None:
    # A school account sees one school's aggregates; other roles are never tied to a school.
    if role is Role.SCHOOL:
        if school is None:
            raise AccountError(_("A school account needs a school."))
        return school
    return None


def create_user(
    centre: Centre, email: str, name: str, role: Role, school: School | None
) -> StaffUser:
    """Add an account without a password; :func:`send_password_link` lets its owner pick one."""
    email = normalise_email(email)
    if find_user_by_email(email) is not None:
        raise AccountError(_("An account with this e-mail address already exists."))
    user = StaffUser(
        centre=centre,
        email=email,
        name=name.strip(),
        role=role,
        school=_check_school(role, school),
    )
    try:
        # A savepoint: a concurrent request that created the same address a moment ago
        # becomes a form error instead of a failed transaction.
        with db.session.begin_nested():
            db.session.add(user)
    except IntegrityError as exc:
        raise AccountError(_("An account with this e-mail address already exists.")) from exc
    return user


def set_enabled(actor: StaffUser, user: StaffUser, enabled: bool) -> None:
    if not enabled and user.id == actor.id:
        raise AccountError(_("You cannot disable your own account."))
    user.is_enabled = enabled
    if not enabled:
        # A link mailed earlier must not bring a disabled account back.
        invalidate_tokens(user)


def change_role(actor: StaffUser, user: StaffUser, role: Role, school: School | None) -> None:
    if user.id == actor.id and role is not actor.role:
        # Otherwise the last administrator could lock the centre out of user management.
        raise AccountError(_("You cannot change your own role."))
    user.school = _check_school(role, school)
    user.role = role


def open_link_expiry(user: StaffUser) -> datetime | None:
    """When the newest open link of ``user`` expires, for the user page."""
    return db.session.scalar(
        select(PasswordToken.expires_at)
        .where(
            PasswordToken.user_id == user.id,
            PasswordToken.used.is_(False),
            PasswordToken.expires_at > utcnow(),
        )
        .order_by(PasswordToken.expires_at.desc())
        .limit(1)
    )

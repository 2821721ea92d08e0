"""Configuration from the environment.

Everything an operator sets comes from ``KLANKBORD_*`` variables; nothing here touches the
database. The only files this module may write are generated keys, once, in the instance
folder, because a literal fallback secret would let anyone forge sessions.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

DEFAULT_ANONYMITY_THRESHOLD = 5
# Free text says more about its writer than a tick on a scale, so it needs a bigger crowd.
DEFAULT_COMMENT_THRESHOLD = 10
SECRET_KEY_FILE = "secret_key"  # noqa: S105 - a file name, not a secret

# Retention (klankbord purge; README "Retention" explains each default). Anonymous answers are
# kept per school year, the unit they are stored and reported in: cutting by days would leave
# the oldest kept school year half empty and its figures wrong. Everything else is kept for a
# number of days: exact and unambiguous (what is "a month" before 31 March?).
DEFAULT_RETENTION_ANONYMOUS_SCHOOL_YEARS = 3  # the current one and the two before it
DEFAULT_RETENTION_MATRIX_DAYS = 730  # after the trajectory closed
DEFAULT_RETENTION_DRAFT_DAYS = 30  # since the draft was last saved
DEFAULT_RETENTION_INVITATION_DAYS = 90  # after the campaign ended
DEFAULT_RETENTION_AUDIT_DAYS = 730


def _int_from_env(name: str, default: int, minimum: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise RuntimeError(f"{name} must be a whole number, got {raw!r}") from exc
    if value < minimum:
        raise RuntimeError(f"{name} must be at least {minimum}, got {value}")
    return value


def load_instance_secret(
    instance_path: Path, env_var: str, file_name: str, generate: Callable[[], str]
) -> str:
    """Return the environment's ``env_var``, or the value kept in the instance folder.

    The file is created on first use with mode 0600 so that restarts keep the value and no
    other local user can read it; O_EXCL, so that two workers starting at once cannot both
    write (and disagree on) it.
    """
    from_env = os.environ.get(env_var, "").strip()
    if from_env:
        return from_env
    key_file = instance_path / file_name
    if key_file.exists():
        return key_file.read_text(encoding="ascii").strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    value = generate()
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return key_file.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(value)
    return value


def load_secret_key(instance_path: Path) -> str:
    """``KLANKBORD_SECRET_KEY``, or the key kept in ``instance/secret_key``."""
    return load_instance_secret(
        instance_path, "KLANKBORD_SECRET_KEY", SECRET_KEY_FILE, lambda: secrets.token_urlsafe(48)
    )


def settings_from_env(instance_path: Path) -> dict[str, Any]:
    """The configuration an operator controls, read from the environment."""
    database_url = os.environ.get("KLANKBORD_DATABASE_URL") or (
        f"sqlite:///{instance_path / 'klankbord.sqlite'}"
    )
    return {
        "SQLALCHEMY_DATABASE_URI": database_url,
        # Absolute links in invitations, letters and e-mails start with this.
        "BASE_URL": os.environ.get("KLANKBORD_BASE_URL") or "http://127.0.0.1:5000",
        "SMTP_HOST": os.environ.get("KLANKBORD_SMTP_HOST") or "localhost",
        "SMTP_PORT": _int_from_env("KLANKBORD_SMTP_PORT", 25, minimum=1),
        "SMTP_USER": os.environ.get("KLANKBORD_SMTP_USER") or None,
        "SMTP_PASSWORD": os.environ.get("KLANKBORD_SMTP_PASSWORD") or None,
        "SMTP_STARTTLS": os.environ.get("KLANKBORD_SMTP_STARTTLS", "").lower() in {"1", "true"},
        "MAIL_FROM": os.environ.get("KLANKBORD_MAIL_FROM") or "Klankbord <noreply@localhost>",
        "ANONYMITY_THRESHOLD": _int_from_env(
            "KLANKBORD_ANONYMITY_THRESHOLD", DEFAULT_ANONYMITY_THRESHOLD, minimum=2
        ),
        "COMMENT_THRESHOLD": _int_from_env(
            "KLANKBORD_COMMENT_THRESHOLD", DEFAULT_COMMENT_THRESHOLD, minimum=2
        ),
        # How many proxies (load balancer, reverse proxy) stand in front of the app and may be
        # believed about the client's address and scheme (X-Forwarded-*). 0: none, the
        # headers are ignored, since a client could otherwise forge them.
        "PROXY_FIX": _int_from_env("KLANKBORD_PROXY_FIX", 0, minimum=0),
        # At least two school years: the council report compares with the previous one.
        "RETENTION_ANONYMOUS_SCHOOL_YEARS": _int_from_env(
            "KLANKBORD_RETENTION_ANONYMOUS_SCHOOL_YEARS",
            DEFAULT_RETENTION_ANONYMOUS_SCHOOL_YEARS,
            minimum=2,
        ),
        "RETENTION_MATRIX_DAYS": _int_from_env(
            "KLANKBORD_RETENTION_MATRIX_DAYS", DEFAULT_RETENTION_MATRIX_DAYS, minimum=1
        ),
        "RETENTION_DRAFT_DAYS": _int_from_env(
            "KLANKBORD_RETENTION_DRAFT_DAYS", DEFAULT_RETENTION_DRAFT_DAYS, minimum=1
        ),
        "RETENTION_INVITATION_DAYS": _int_from_env(
            "KLANKBORD_RETENTION_INVITATION_DAYS", DEFAULT_RETENTION_INVITATION_DAYS, minimum=1
        ),
        "RETENTION_AUDIT_DAYS": _int_from_env(
            "KLANKBORD_RETENTION_AUDIT_DAYS", DEFAULT_RETENTION_AUDIT_DAYS, minimum=1
        ),
    }


BASE_SETTINGS: dict[str, Any] = {
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "BABEL_DEFAULT_LOCALE": "nl_BE",
    "BABEL_DEFAULT_TIMEZONE": "Europe/Brussels",
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_TIME_LIMIT": None,
    "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
    # The password-reset mail goes out after the answer (survey/accounts/background.py).
    "PASSWORD_MAIL_IN_BACKGROUND": True,
}

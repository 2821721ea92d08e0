"""The app-wide rate limiter (Flask-Limiter) and the throttle on guessed respondent links.

The limits are callables that read the application's configuration at request time, so an
operator or a test can lower them without re-registering anything. The login and
forgotten-password throttles built on this limiter live in survey.accounts.limits.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Response, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

DEFAULT_LIMITS = {
    "LOGIN_RATE_LIMIT_PER_ADDRESS": "10/minute;50/hour",
    "LOGIN_RATE_LIMIT_PER_EMAIL": "5/minute",
    "PASSWORD_RESET_RATE_LIMIT_PER_ADDRESS": "5/minute;20/hour",
    "PASSWORD_RESET_RATE_LIMIT_PER_EMAIL": "5/hour",
    # Respondent links that match no invitation, per client address (see throttle_link_guessing).
    "UNKNOWN_LINK_RATE_LIMIT": "30/minute",
}

F = TypeVar("F", bound=Callable[..., Any])

limiter = Limiter(key_func=get_remote_address)


@limiter.request_filter
def _limits_switched_off() -> bool:
    # One Limiter serves every app of the process (the tests build one per database), so the
    # on/off switch is each app's own RATELIMIT_ENABLED, read per request.
    return not current_app.config.get("RATELIMIT_ENABLED", True)


def _configured(name: str) -> Callable[[], str]:
    def limit_value() -> str:
        return current_app.config.get(name) or DEFAULT_LIMITS[name]

    return limit_value


def _unknown_link(response: Response) -> bool:
    return response.status_code == 404


def throttle_link_guessing(exempt_when: Callable[[], bool]) -> Callable[[F], F]:
    """Throttle guessing of respondent links: count only links that match no invitation.

    A school's parents and pupils often share one public address, so answering (a valid
    link, however many pages) never counts: only a 404 does. Once an address has opened too
    many unknown links, every new link from it waits, valid or not; letting valid ones through
    would tell a guesser which of its guesses were right and make the limit useless. Thirty
    mistyped links in one minute on one network are no accident, and the pause lasts a minute.
    ``exempt_when`` lets a browser that already opened this very link carry on
    (survey.respond.routes), so a family half-way through its form is not stopped.
    """
    return limiter.shared_limit(
        _configured("UNKNOWN_LINK_RATE_LIMIT"),
        scope="unknown-respondent-link",
        key_func=get_remote_address,
        deduct_when=_unknown_link,
        exempt_when=exempt_when,
    )

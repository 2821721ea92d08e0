"""Throttling of the login and forgotten-password forms (Flask-Limiter).

The limits are callables that read the application's configuration at request time, so an
operator or a test can lower them without re-registering anything. Counting happens per client
address and per e-mail address typed: the first slows down one machine trying many accounts,
the second many machines trying one account. The limiter itself lives in survey.limits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, TypeVar

from flask import request

from survey.auth.services import normalise_email
from survey.limits import _configured, limiter

F = TypeVar("F", bound=Callable[..., Any])


def submitted_email_key() -> str:
    """The key for per-account limits: a hash of the normalised e-mail address typed.

    Hashed so that the limiter's storage (possibly a shared Redis) holds no addresses.
    """
    email = normalise_email(request.form.get("email", ""))[:254]
    return "email:" + hashlib.sha256(email.encode("utf-8")).hexdigest()


def _throttle(per_address: str, per_email: str) -> Callable[[F], F]:
    def decorator(view: F) -> F:
        # GETs only show the form; only submissions count.
        view = limiter.limit(
            _configured(per_email), methods=["POST"], key_func=submitted_email_key
        )(view)
        return limiter.limit(_configured(per_address), methods=["POST"])(view)

    return decorator


# Decorators for the two views that check or mail something for a typed-in e-mail address.
throttle_login = _throttle("LOGIN_RATE_LIMIT_PER_ADDRESS", "LOGIN_RATE_LIMIT_PER_EMAIL")
throttle_password_reset = _throttle(
    "PASSWORD_RESET_RATE_LIMIT_PER_ADDRESS", "PASSWORD_RESET_RATE_LIMIT_PER_EMAIL"
)

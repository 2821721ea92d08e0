"""Account administration: one-time password links, throttled login, user management."""

from __future__ import annotations

import os

from flask import Flask, render_template, session
from flask_limiter.errors import RateLimitExceeded
from flask_login import current_user, logout_user

TRUE_VALUES = {"1", "true", "yes", "on"}


def init_accounts(app: Flask) -> None:
    """Throttling, secure cookies and the account checks every request needs.

    Called from ``create_app`` after Flask-Login is bound.
    """
    from survey.limits import limiter

    if os.environ.get("KLANKBORD_SECURE_COOKIES", "").strip().lower() in TRUE_VALUES:
        # Only behind HTTPS: browsers do not send secure cookies over plain http (make run).
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True

    app.config["RATELIMIT_STORAGE_URI"] = (
        os.environ.get("KLANKBORD_RATELIMIT_STORAGE_URI")
        or app.config.get("RATELIMIT_STORAGE_URI")
        or "memory://"
    )
    # The test suite logs in hundreds of times from one address; tests that check the
    # throttling switch it on themselves.
    enabled = app.config.get("RATELIMIT_ENABLED", not app.config.get("TESTING", False))
    # Flask-Limiter skips all set-up when RATELIMIT_ENABLED is false at init_app, and then
    # could not be switched on later; so it is always set up, and a request filter
    # (survey.limits) reads this app's RATELIMIT_ENABLED on every request.
    app.config["RATELIMIT_ENABLED"] = True
    # A shared limit store that is down (Redis) must not lock every user out: the limiter
    # logs the failure and lets the request through.
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    limiter.init_app(app)
    app.config["RATELIMIT_ENABLED"] = enabled

    app.register_error_handler(RateLimitExceeded, _too_many_requests)
    app.before_request(_end_sessions_of_disabled_accounts)


def _too_many_requests(_error: RateLimitExceeded) -> tuple[str, int, dict[str, str]]:
    # A fixed hint rather than the exact reset time: it reveals less about the limits.
    return render_template("accounts/too_many_requests.html"), 429, {"Retry-After": "300"}


def _end_sessions_of_disabled_accounts() -> None:
    """End the session of a user whose account was disabled after they logged in.

    Flask-Login already treats such a session as logged out (``is_authenticated`` follows
    ``is_active``) but keeps it, so enabling the account again would revive it.
    """
    if not current_user.is_anonymous and not current_user.is_active:
        logout_user()
        session.clear()

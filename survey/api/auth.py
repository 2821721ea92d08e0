"""Bearer-token authentication and throttling of the API.

Only ``Authorization: Bearer <token>`` is accepted, never a token in the query string: URLs
end up in access logs, proxy logs and browser histories. The API sets no cookie and reads no
session, so it needs no CSRF protection and a logged-in browser gains nothing by calling it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Response, current_app, request
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address

from survey import clock
from survey.api.problems import Problem, invalid_parameter
from survey.api.services import active_token, bearer_token, note_use
from survey.extensions import db
from survey.limits import limiter
from survey.privacy.tokens import hash_token

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_LIMITS = {
    # Per token: generous for a dashboard paging through a report, a brake on a runaway loop.
    "API_RATE_LIMIT": "600/minute",
    # Per client address, counting only refused tokens: guessing stays hopeless.
    "API_AUTH_FAILURE_RATE_LIMIT": "30/minute",
}
# The query parameter of RFC 6750's third way of sending a token, which we refuse.
QUERY_TOKEN_PARAMETER = "access_token"  # noqa: S105 - a parameter name, not a secret


def _configured(name: str) -> Callable[[], str]:
    def limit_value() -> str:
        return current_app.config.get(name) or DEFAULT_LIMITS[name]

    return limit_value


def _token_key() -> str:
    # The hash, so that the limiter's storage (possibly a shared Redis) holds no tokens.
    return "api-token:" + hash_token(bearer_token(request.headers.get("Authorization")) or "")


def _authenticated(response: Response) -> bool:
    # Refused and throttled requests are not the token's: only answers past the check count.
    return response.status_code not in (401, 429)


def _refused(response: Response) -> bool:
    return response.status_code == 401


def _unauthorized(detail: str, *, token_given: bool) -> Problem:
    challenge = 'Bearer realm="Klankbord"'
    if token_given:
        # RFC 6750 §3: name the error only when a token was sent.
        challenge += ', error="invalid_token"'
    return Problem(401, detail, headers={"WWW-Authenticate": challenge})


def token_required(view: F) -> F:
    """Authenticate the bearer token and call ``view`` with the token's centre first.

    The limits are checked before the view runs and counted after it answered: a refused
    token counts against the client's address, an accepted one against the token.
    """

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if QUERY_TOKEN_PARAMETER in request.args:
            raise invalid_parameter(
                QUERY_TOKEN_PARAMETER,
                _(
                    "Send the API token in the Authorization header, never in the address: "
                    "addresses are written to logs. Revoke this token and make a new one."
                ),
            )
        secret = bearer_token(request.headers.get("Authorization"))
        if secret is None:
            raise _unauthorized(
                _("Send an API token in the Authorization header: Bearer followed by the token."),
                token_given="Authorization" in request.headers,
            )
        token = active_token(secret)
        if token is None:
            raise _unauthorized(
                _("This API token is unknown or has been revoked."), token_given=True
            )
        if note_use(token, clock.today()):
            db.session.commit()
        return view(token.centre, *args, **kwargs)

    limited = limiter.shared_limit(
        _configured("API_AUTH_FAILURE_RATE_LIMIT"),
        scope="api-auth-failures",
        key_func=get_remote_address,
        deduct_when=_refused,
    )(wrapped)
    return limiter.shared_limit(
        _configured("API_RATE_LIMIT"),
        scope="api",
        key_func=_token_key,
        deduct_when=_authenticated,
    )(limited)  # type: ignore[return-value]

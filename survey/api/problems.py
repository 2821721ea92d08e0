"""The API's errors as RFC 9457 problem details (``application/problem+json``).

Every answer under ``/api/`` is JSON, errors included: a client parsing JSON should never get
the staff site's HTML error page. Errors raised inside an API view reach the blueprint's
handlers; routing errors (an unknown path, a wrong method) happen before any blueprint is
chosen, so the application's handlers in ``survey.web`` hand those to :func:`http_problem`.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException, default_exceptions
from werkzeug.http import HTTP_STATUS_CODES

from survey.extensions import db

API_PREFIX = "/api/"
MEDIA_TYPE = "application/problem+json"
# Problem types of our own. RFC 9457 asks for URIs; tag URIs (RFC 4151) name them without
# promising a page behind them.
INVALID_PARAMETER = "tag:klankbord.be,2026:problems/invalid-parameter"
TOO_FEW_RESPONDENTS = "tag:klankbord.be,2026:problems/too-few-respondents"
# A hint rather than the limiter's exact reset time, as on the login form.
RETRY_AFTER_SECONDS = "60"


class Problem(Exception):
    """An error the API answers with a problem document; ``extra`` adds members to it."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        type_uri: str = "about:blank",
        title: str | None = None,
        headers: dict[str, str] | None = None,
        **extra: object,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.type_uri = type_uri
        # With type about:blank, RFC 9457 has the title repeat the HTTP status phrase.
        self.title = title or HTTP_STATUS_CODES.get(status, "Error")
        self.headers = headers or {}
        self.extra = extra


def is_api_request() -> bool:
    return request.path.startswith(API_PREFIX)


def problem_response(problem: Problem) -> Response:
    body = {
        "type": problem.type_uri,
        "title": problem.title,
        "status": problem.status,
        "detail": problem.detail,
        **problem.extra,
    }
    response = current_app.response_class(
        current_app.json.dumps(body), status=problem.status, mimetype=MEDIA_TYPE
    )
    response.headers.update(problem.headers)
    response.headers["Cache-Control"] = "no-store"
    return response


def invalid_parameter(name: str, detail: str) -> Problem:
    return Problem(
        400,
        detail,
        type_uri=INVALID_PARAMETER,
        title=_("Invalid query parameter"),
        parameter=name,
    )


def too_few_respondents(threshold: int) -> Problem:
    return Problem(
        422,
        _(
            "This selection counts fewer than %(k)d respondents. Showing it would make small "
            "groups recognisable, so it is not shown. Choose a wider group (the whole centre or "
            "all audiences) or another school year.",
            k=threshold,
        ),
        type_uri=TOO_FEW_RESPONDENTS,
        title=_("Too few respondents"),
        threshold=threshold,
    )


def _detail(status: int) -> str:
    if status == 404:
        return _("This API has no such address. The OpenAPI document lists what it offers.")
    if status == 405:
        return _("This API only reads: use GET.")
    if status == 413:
        return _("The request is larger than this API accepts.")
    if status == 429:
        return _("Too many requests. Wait a minute and try again.")
    if status >= 500:
        return _("Something went wrong on the server. Try again later.")
    return _("The request could not be handled.")


def http_problem(error: HTTPException) -> Response:
    """A werkzeug error (404, 405, 429, 500...) as a problem document."""
    status = error.code or 500
    if status >= 500:
        db.session.rollback()
    # A 405 names the methods that would work; werkzeug's Content-Type is replaced by ours.
    headers = {name: value for name, value in error.get_headers() if name.lower() == "allow"}
    if status == 429:
        headers["Retry-After"] = RETRY_AFTER_SECONDS
    return problem_response(Problem(status, _detail(status), headers=headers))


def register_error_handlers(bp: Blueprint) -> None:
    """Problem documents for every error raised while an API view handles a request.

    Registered per status code: the application's own handlers for 404, 429 and 500 render
    HTML and are registered per code too, and Flask prefers a code's handler over a generic
    ``HTTPException`` one whichever blueprint it belongs to.
    """
    for code in default_exceptions:
        bp.register_error_handler(code, http_problem)
    bp.register_error_handler(Problem, problem_response)

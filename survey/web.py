"""Request-wide plumbing: the user loader, error pages, template helpers and headers."""

from __future__ import annotations

import logging
import re
from datetime import date

from flask import Flask, Response, render_template, request
from flask_babel import format_date, format_decimal, format_percent, get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from survey.api.problems import http_problem, is_api_request
from survey.extensions import db, login_manager
from survey.labels import label, theme_label

# No page loads anything from a third party: each such request would hand a respondent's
# address to someone else. Inline scripts and styles are refused as well.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "img-src 'self' data:",
        "style-src 'self'",
        "script-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)


_TOKEN_PATH = re.compile(r"/r/[^/\s?\"]+")


class RedactTokens(logging.Filter):
    """Remove respondent tokens from log lines (the development server's access log).

    A token in a log next to a time is exactly how a well-known survey tool's anonymous
    answers can be linked back to invitations.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "/r/" in message:
            record.msg = _TOKEN_PATH.sub("/r/[token]", message)
            record.args = ()
        return True


def pdf_download(data: bytes, filename: str) -> Response:
    """A PDF sent as a download. Never cached: letters hold single-use links."""
    return Response(
        data,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


def register_web_helpers(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(user_id: str) -> object | None:
        from survey.models import StaffUser

        if not user_id.isdigit():
            return None
        return db.session.get(StaffUser, int(user_id))

    app.jinja_env.filters["fromisodate"] = date.fromisoformat
    app.jinja_env.filters["theme_label"] = theme_label
    app.jinja_env.globals.update(
        label=label,
        theme_label=theme_label,
        format_decimal=format_decimal,
        format_percent=format_percent,
        format_date=format_date,
        get_locale=get_locale,
    )

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    @app.errorhandler(403)
    def forbidden(_error: Exception) -> tuple[str, int]:
        return render_template("errors/403.html"), 403

    @app.errorhandler(404)
    def not_found(error: HTTPException) -> tuple[str, int] | Response:
        if is_api_request():
            # No API route matched, so the API blueprint's own handlers were not asked.
            return http_problem(error)
        if request.blueprint == "respond":
            return render_template("respond/not_found.html"), 404
        return render_template("errors/404.html"), 404

    @app.errorhandler(405)
    def method_not_allowed(error: HTTPException) -> Response:
        if is_api_request():
            return http_problem(error)
        return error.get_response()

    @app.errorhandler(CSRFError)
    def csrf_failed(_error: CSRFError) -> tuple[str, int]:
        return render_template("errors/csrf.html"), 400

    @app.errorhandler(500)
    def server_error(_error: Exception) -> tuple[str, int]:
        db.session.rollback()
        if request.blueprint == "respond":
            return render_template("respond/error.html"), 500
        return render_template("errors/500.html"), 500

    logging.getLogger("werkzeug").addFilter(RedactTokens())

"""Request-wide plumbing: the user loader, error pages, template helpers and headers."""

from __future__ import annotations

import logging
from datetime import date

from flask import Flask, Request, Response, render_template, request
from flask_babel import format_date, format_decimal, format_percent, get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge, ServiceUnavailable
from werkzeug.middleware.proxy_fix import ProxyFix

from survey.api.problems import http_problem, is_api_request
from survey.extensions import db, login_manager
from survey.labels import label, theme_label
from survey.privacy.logs import install_redaction

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


# Browsers may only reach the app over HTTPS for a year, subdomains included. Sent only on
# secure requests: over plain http (make run) browsers ignore it anyway.
STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"


class NulFreeFormRequest(Request):
    """A request whose form values never hold a NUL character (U+0000).

    PostgreSQL text cannot hold NUL: the driver refuses the whole statement, so one NUL typed
    or pasted into any form field (a name, a note, a code, an e-mail address used in a
    lookup) was a 500 there, and on SQLite it was stored. Nobody means a NUL, so it is dropped
    here, once for every form, before a form class, a validator or a view reads the value.
    Field names are left alone (they are never stored) and so are uploaded files, whose
    content the import checks itself.
    """

    def _load_form_data(self) -> None:
        # The hook Flask itself extends; it fills ``form`` and ``files`` from the body once.
        parsed = "form" in self.__dict__
        super()._load_form_data()
        form = self.__dict__["form"]
        if parsed or not any("\x00" in value for _name, value in form.items(multi=True)):
            return
        self.__dict__["form"] = self.parameter_storage_class(
            (name, value.replace("\x00", "")) for name, value in form.items(multi=True)
        )


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
    app.request_class = NulFreeFormRequest
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(user_id: str) -> object | None:
        from survey.models import StaffUser

        # "id:session_version" (StaffUser.get_id): a session from before a logout or a new
        # password carries an older version and is refused.
        number, _sep, version = user_id.partition(":")
        if not (number.isdigit() and version.isdigit()):
            return None
        user = db.session.get(StaffUser, int(number))
        if user is None or user.session_version != int(version):
            return None
        return user

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
        # Older browsers ignore the CSP's frame-ancestors: no clickjacking in a frame either.
        response.headers.setdefault("X-Frame-Options", "DENY")
        # A respondent's address holds their token: no Referer may carry it anywhere, not even
        # from a /r/ address that matched no page (whose blueprint is then unknown).
        respondent = request.blueprint == "respond" or request.path.startswith("/r/")
        response.headers.setdefault(
            "Referrer-Policy", "no-referrer" if respondent else "same-origin"
        )
        # is_secure sees the client's scheme behind a TLS-terminating balancer (PROXY_FIX).
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY)
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

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(error: RequestEntityTooLarge) -> tuple[str, int] | Response:
        # A body over MAX_CONTENT_LENGTH (or a form field over Flask's MAX_FORM_MEMORY_SIZE).
        # The import page has its own handler, which names its larger limit.
        if is_api_request():
            return http_problem(error)
        if request.blueprint == "respond":
            return render_template("respond/too_large.html"), 413
        return render_template("errors/413.html"), 413

    def respondent_error(
        status: int, headers: dict[str, str] | None = None
    ) -> tuple[str, int, dict[str, str]]:
        # A failed POST may or may not have stored the answers; a failed GET stored nothing
        # new. The page says which (templates/respond/error.html).
        page = render_template("respond/error.html", sending=request.method == "POST")
        return page, status, headers or {}

    @app.errorhandler(500)
    def server_error(_error: Exception) -> tuple[str, int] | tuple[str, int, dict[str, str]]:
        db.session.rollback()
        if request.blueprint == "respond":
            return respondent_error(500)
        return render_template("errors/500.html"), 500

    @app.errorhandler(OperationalError)
    def database_unavailable(error: OperationalError) -> tuple[str, int, dict] | Response:
        # The database cannot be reached for a moment (a restart, a failover, connections
        # cut): the request's open transaction is rolled back, and the same request will work
        # again shortly. A 503 with Retry-After says exactly that (a raw 500 would count as a
        # bug). A respondent's answers may still have been stored by an earlier commit of the
        # same request (the answer page commits, then publishes), so after a POST their page
        # says they may not have arrived and to send them again, which is harmless; after a
        # GET, that the page could not be loaded.
        db.session.rollback()
        # The driver's own message (host and port, no SQL and no parameters); the endpoint,
        # not the path, which may hold a respondent's token.
        reason = str(error.orig or error).strip().splitlines()[0]
        app.logger.warning("Database unavailable during %s: %s", request.endpoint, reason)
        retry = {"Retry-After": "5"}
        if is_api_request():
            response = http_problem(ServiceUnavailable())
            response.headers.update(retry)
            return response
        if request.blueprint == "respond":
            return respondent_error(503, retry)
        return render_template("errors/500.html"), 503, retry

    @app.teardown_appcontext
    def end_session(_exc: BaseException | None) -> None:
        # Runs before Flask-SQLAlchemy's own teardown (registered earlier, run later). When
        # the database cut the connection after the response was ready (a restart), ending
        # the session's transaction fails: there is nothing to lose, the server rolled it back
        # with the connection and every write was committed by the view. Send the finished
        # page instead of letting gunicorn answer with a raw 500.
        try:
            db.session.remove()
        except DBAPIError as error:
            if not error.connection_invalidated:
                raise
            db.session.registry.clear()
            reason = str(error.orig or error).strip().splitlines()[0]
            app.logger.warning("Database connection lost after the response: %s", reason)

    # The development server's access log, and Flask's "Exception on /r/<token> [POST]" when
    # a page fails. Both loggers are shared by every app of the process (the tests build
    # many): the filter is added once.
    install_redaction(logging.getLogger("werkzeug"))
    install_redaction(app.logger)
    _trust_proxies(app)


def _trust_proxies(app: Flask) -> None:
    """Believe X-Forwarded-For/-Proto/-Host/-Port from the configured number of proxies.

    Behind a load balancer the client's address (counted by Flask-Limiter) and scheme
    (request.is_secure, HSTS) otherwise are the balancer's. Trusting more proxies than there
    are would let a client forge its address and dodge the login throttling.
    """
    hops = app.config.get("PROXY_FIX", 0)
    if hops:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops
        )

"""Serving under gunicorn: logs that never hold a respondent's or a password link's token.

A respondent link is ``/r/<token>`` and a password link ``/password/<token>``. Either one in a
log is a usable link, and a token next to a time is how a well-known survey tool's anonymous
answers can be tied back to invitations. gunicorn builds its access log lines from "atoms"
(``%(r)s``, ``%(U)s``, ``%(q)s``, ``%({referer}i)s``, ``%({location}o)s``...), so every atom
is redacted (survey.privacy.logs) before the line is formatted; the error log, which names the
URI of a request that failed, gets the same filter as the development server's log.

A respondent's own requests are logged without the client address, the response size (which
tells the questionnaire and language they got) and the query string (``?lang=fr``).

This module is imported by the gunicorn master (``logger_class`` in gunicorn.conf.py), so it
imports nothing from Flask or the application.
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

from survey.privacy.logs import install_redaction, is_respondent_path, redact, redact_without_query


def _is_respondent_request(environ: dict[str, Any]) -> bool:
    # PATH_INFO is decoded by gunicorn and RAW_URI is not, and an app mounted under a prefix
    # sees only PATH_INFO's part: either one under /r/ makes it a respondent's request.
    return is_respondent_path(environ.get("PATH_INFO") or "") or is_respondent_path(
        environ.get("RAW_URI") or ""
    )


def _respondent_atoms(atoms: dict[str, Any], environ: dict[str, Any]) -> dict[str, Any]:
    # Header and environ atoms ({...}i, {...}o, {...}e) are left out altogether, so gunicorn
    # logs "-" for them: they hold the address again (X-Forwarded-For, REMOTE_ADDR), the size
    # (Content-Length) or the language (Accept-Language, QUERY_STRING), and an operator who
    # adds one to the format must not bring any of them back.
    kept = {key: value for key, value in atoms.items() if not key.startswith("{")}
    request_line = " ".join(
        (
            environ.get("REQUEST_METHOD") or "-",
            redact_without_query(environ.get("RAW_URI") or ""),
            environ.get("SERVER_PROTOCOL") or "-",
        )
    )
    return {
        **kept,
        "h": "-",
        "b": "-",
        "B": "-",
        "q": "-",
        "r": request_line,
        "U": redact_without_query(environ.get("PATH_INFO") or ""),
        "f": redact_without_query(atoms.get("f") or "-"),
    }


class RedactingLogger(Logger):
    """gunicorn's logger: tokens removed from every access-log atom and error line, and a
    respondent's requests logged without address, size or query string."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        # setup() runs again on every configuration reload (SIGHUP): add the filter once.
        install_redaction(self.error_log)

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> dict:
        atoms = {
            key: redact(value) if isinstance(value, str) else value
            for key, value in super().atoms(resp, req, environ, request_time).items()
        }
        if _is_respondent_request(environ):
            return _respondent_atoms(atoms, environ)
        return atoms

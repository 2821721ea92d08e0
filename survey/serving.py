"""Serving under gunicorn: logs that never hold a respondent's or a password link's token.

A respondent link is ``/r/<token>`` and a password link ``/password/<token>``. Either one in a
log is a usable link, and a token next to a time is how a well-known survey tool's anonymous
answers can be tied back to invitations. gunicorn builds its access log lines from "atoms"
(``%(r)s``, ``%(U)s``, ``%(q)s``, ``%({referer}i)s``, ``%({location}o)s``...), so every atom
is redacted before the line is formatted; the error log, which names the URI of a request that
failed, gets a filter.

This module is imported by the gunicorn master (``logger_class`` in gunicorn.conf.py), so it
imports nothing from Flask or the application.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import unquote

from gunicorn.glogging import Logger

# The path segment after /r/ or /password/ (not the fixed /password/forgot pages), wherever it
# appears: in the request line, a Referer URL, a Location header or a query string.
_SECRET_PATH = re.compile(r"/(r|password)/(?!forgot\b)[^/\s?#&\"']+")


def redact(text: str) -> str:
    """``text`` with every respondent or password token replaced by ``[token]``.

    A percent-encoded path (``/%72/<token>``, ``?next=%2Fr%2F<token>``) reaches the same view
    once decoded, so a value that shows a token only after decoding is logged decoded and
    redacted.
    """
    if "%" in text:
        decoded = unquote(text)
        if _SECRET_PATH.search(decoded):
            text = decoded
    return _SECRET_PATH.sub(r"/\1/[token]", text)


class RedactTokensFilter(logging.Filter):
    """Redacts tokens from any record's formatted message (gunicorn's error log)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = ()
        return True


class RedactingLogger(Logger):
    """gunicorn's logger, with tokens removed from every access-log atom and error line."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        # setup() runs again on every configuration reload (SIGHUP): add the filter once.
        if not any(isinstance(f, RedactTokensFilter) for f in self.error_log.filters):
            self.error_log.addFilter(RedactTokensFilter())

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> dict:
        atoms = super().atoms(resp, req, environ, request_time)
        return {
            key: redact(value) if isinstance(value, str) else value for key, value in atoms.items()
        }

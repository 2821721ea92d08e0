"""Log redaction: no log line holds a link's token, nor a respondent's address or language.

A respondent link is ``/r/<token>`` and a password link ``/password/<token>``. Either one in a
log is a usable link, and a token next to a time is how a well-known survey tool's anonymous
answers can be tied back to invitations (docs/anonymity.md, "Logs").

Every spelling that reaches the token counts. Werkzeug answers ``/r//<token>`` (and
``/r///<token>``) with a 308 to the link and routes ``//r/<token>`` as it is; the server decodes
``/%72/<token>`` and ``/r%2F<token>`` before routing. ``/R/<token>`` is not routed (404), and
``%252F`` (encoded twice) is not decoded twice, but both are redacted all the same: a proxy in
front may fold case or decode once more, and a person reading the log can do either. A
backslash counts as a slash (browsers turn one into the other) and ``./`` segments are skipped
(browsers and proxies remove them).

The gunicorn master imports this module (through survey.serving), so it imports nothing from
Flask or the application.
"""

from __future__ import annotations

import logging
import posixpath
import re
from urllib.parse import quote, unquote

REDACTED = "[token]"

# What ends a token in a log line: a path, query or fragment separator, whitespace, and the
# quotes log formats put around the request line and headers.
_END = r"/\\\s?#&\"'"
# One or more slashes, with any "./" segments between them. Possessive, and a match starts only
# at the first slash of a run: a header of thousands of slashes must cost linear time, not
# seconds of the worker's time on every request.
_SLASHES = r"[/\\]++(?:\.[/\\]++)*+"
_SECRET_PATH = re.compile(
    rf"(?<![/\\])(?P<prefix>[/\\]++"
    rf"(?:r{_SLASHES}|password{_SLASHES}(?!(?-i:forgot)(?:[{_END}]|$))))"
    rf"[^{_END}]+",
    re.IGNORECASE,
)
# Decoded text goes into the log as it is, so control characters and line separators are
# encoded again: a request must not be able to write a line of its own into the log.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_SCHEME_AND_HOST = re.compile(r"^[a-z][a-z0-9+.-]*://[^/\\]*", re.IGNORECASE)
# The respondent's pages, and the style sheet and script only they load: a line for those,
# with an address, a second after an address-free respondent line would put the address back.
_RESPONDENT_PATH = re.compile(r"/(?:r(?:/|$)|static/respond\b)", re.IGNORECASE)
_QUERY_OR_FRAGMENT = re.compile(r"[?#]")

# The development server's (werkzeug's) access line, with its ANSI colours around the request
# line when it writes to a terminal: 127.0.0.1 - - [date] "GET /r/... HTTP/1.1" 200 -
_DEV_ACCESS_LINE = re.compile(
    r"(?P<address>\S+) - - (?P<date>\[[^\]]*\]) "
    r'"(?P<method>\S+) (?P<target>.*) (?P<version>\S+)" (?P<status>\S+) (?P<size>\S+)'
)


def _fully_decoded(text: str) -> str:
    # Undo percent-encoding as often as it was applied: %252F is %2F is /. Every round that
    # changes the text shortens it, so the loop ends.
    while "%" in text:
        once = unquote(text)
        if once == text:
            break
        text = once
    return text


def redact(text: str) -> str:
    """``text`` with every respondent or password token replaced by ``[token]``.

    Text that shows a token only once percent-decoded is logged decoded, and redacted.
    ``/password/forgot`` (the fixed page, exactly so spelt, as Flask routes it) is kept.
    """
    if "%" in text:
        decoded = _fully_decoded(text)
        if _SECRET_PATH.search(decoded):
            text = _UNPRINTABLE.sub(lambda char: quote(char[0], safe=""), decoded)
    return _SECRET_PATH.sub(lambda found: found["prefix"] + REDACTED, text)


def redact_without_query(text: str) -> str:
    """``text`` redacted, and cut at its query string or fragment (``?lang=fr`` tells the
    respondent's language), also one that percent-encoding hid."""
    return _QUERY_OR_FRAGMENT.split(redact(text), maxsplit=1)[0]


def is_respondent_path(target: str) -> bool:
    """Whether a request target or URL (path, query, maybe scheme and host) is a respondent's:
    under ``/r/``, or one of the respondent pages' own static files.

    The path is decoded and normalised first, so every spelling above counts; the query does
    not (``/login?next=/r/...`` is a staff page).
    """
    path = _QUERY_OR_FRAGMENT.split(_SCHEME_AND_HOST.sub("", target, count=1), maxsplit=1)[0]
    path = _fully_decoded(path).replace("\\", "/")
    return bool(_RESPONDENT_PATH.match(posixpath.normpath("/" + path.lstrip("/"))))


def _redact_message(message: str) -> str:
    line = _DEV_ACCESS_LINE.fullmatch(message)
    if line is None or not is_respondent_path(line["target"]):
        return redact(message)
    # A respondent's line from the development server: no address, size or query string, as
    # in gunicorn's access log (survey.serving).
    request_line = f"{line['method']} {redact_without_query(line['target'])} {line['version']}"
    return f'- - - {line["date"]} "{request_line}" {line["status"]} -'


class RedactTokens(logging.Filter):
    """Redacts every record of a logger: its message, traceback and stack.

    Installed on gunicorn's error log, the development server's access log ("werkzeug") and
    Flask's app.logger, whose "Exception on /r/<token> [POST]" names the failing path.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            # Arguments that do not fit the format: logging's own error report would print
            # them unredacted to stderr, so they become the message, and are redacted.
            record.msg, record.args = f"{record.msg} {record.args!r}", ()
            message = record.msg
        cleaned = _redact_message(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = ()
        if record.exc_info and not record.exc_text:
            # Formatted here so it can be redacted; handlers' formatters reuse exc_text.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def install_redaction(logger: logging.Logger) -> None:
    """Add the filter to ``logger`` unless it has it.

    Loggers are shared by the whole process: gunicorn sets its logger up again on every
    reload, and the tests build many apps, each of which would otherwise add one more.
    """
    if not any(isinstance(existing, RedactTokens) for existing in logger.filters):
        logger.addFilter(RedactTokens())

"""Log redaction (survey/privacy/logs.py) and gunicorn's access-log atoms (survey/serving.py).

tests/test_serving.py starts a real gunicorn; these tests pin every spelling of a link and
what a respondent's line leaves out, without a server.
"""

from __future__ import annotations

import logging
import runpy
import sys
from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import unquote

import pytest
from gunicorn.config import Config
from gunicorn.glogging import SafeAtoms

from survey import PROJECT_ROOT
from survey.privacy.logs import RedactTokens, install_redaction, is_respondent_path, redact
from survey.serving import RedactingLogger

TOKEN = "Ab3_x-Y9TOKEN"
CLIENT = "203.0.113.7"
SIZE = 5123


@pytest.mark.parametrize(
    ("raw", "logged"),
    [
        # The link itself, in a request line, a path, a URL (Referer, Location) and a query.
        (f"GET /r/{TOKEN} HTTP/1.1", "GET /r/[token] HTTP/1.1"),
        (f"/r/{TOKEN}/thanks", "/r/[token]/thanks"),
        (f"https://k.example/r/{TOKEN}?lang=fr", "https://k.example/r/[token]?lang=fr"),
        (f"/login?next=/r/{TOKEN}", "/login?next=/r/[token]"),
        (f"/login?a=1&next=/r/{TOKEN}&b=2", "/login?a=1&next=/r/[token]&b=2"),
        (f"/password/{TOKEN}", "/password/[token]"),
        # Doubled or more slashes: werkzeug redirects /r//x to /r/x and routes //r/x.
        (f"/r//{TOKEN}", "/r//[token]"),
        (f"/r///{TOKEN}", "/r///[token]"),
        (f"//r/{TOKEN}", "//r/[token]"),
        (f"https://k.example//r//{TOKEN}", "https://k.example//r//[token]"),
        (f"/password//{TOKEN}", "/password//[token]"),
        # Other letter case (not routed, redacted anyway).
        (f"/R/{TOKEN}", "/R/[token]"),
        (f"/Password/{TOKEN}", "/Password/[token]"),
        # Percent-encoded once, in part or whole, and twice.
        (f"/%72/{TOKEN}", "/r/[token]"),
        (f"/r%2F{TOKEN}", "/r/[token]"),
        (f"/r%2f{TOKEN}", "/r/[token]"),
        (f"/login?next=%2Fr%2F{TOKEN}", "/login?next=/r/[token]"),
        (f"/login?next=%252Fr%252F{TOKEN}", "/login?next=/r/[token]"),
        (f"/%2572/{TOKEN}", "/r/[token]"),
        (f"/%70assword/{TOKEN}", "/password/[token]"),
        (f"%2F%2Fr%2F%2F{TOKEN}", "//r//[token]"),
        # Spellings a browser or proxy turns into the link.
        (f"/r\\{TOKEN}", "/r\\[token]"),
        (f"/r/./{TOKEN}", "/r/./[token]"),
        # Decoded control characters are encoded again: no forged log lines.
        (f"/login?next=%2Fr%2F{TOKEN}&x=%0Afake", "/login?next=/r/[token]&x=%0Afake"),
        # The fixed pages and staff paths stay as they are.
        ("/password/forgot", "/password/forgot"),
        ("/password/forgot/sent", "/password/forgot/sent"),
        ("/password//forgot", "/password//forgot"),
        ("/reports/?school_year=2025-2026", "/reports/?school_year=2025-2026"),
        ("/static/respond.css", "/static/respond.css"),
        ("/search?q=50%25", "/search?q=50%25"),
    ],
)
def test_redact_removes_every_spelling_of_a_token(raw, logged):
    assert redact(raw) == logged


@pytest.mark.parametrize("spelling", ["forgotten", "Forgot", "forgot-x"])
def test_only_the_fixed_forgot_page_escapes_redaction(spelling):
    # Flask routes /password/Forgot and /password/forgotten to the password link's view.
    assert redact(f"/password/{spelling}") == "/password/[token]"


@pytest.mark.parametrize(
    ("target", "respondent"),
    [
        (f"/r/{TOKEN}", True),
        (f"/r/{TOKEN}?lang=fr", True),
        (f"/r/{TOKEN}/thanks?lang=fr", True),
        (f"/r//{TOKEN}", True),
        (f"//r/{TOKEN}", True),
        (f"/R/{TOKEN}", True),
        (f"/%72/{TOKEN}", True),
        (f"/%2572/{TOKEN}", True),
        (f"/r%2F{TOKEN}", True),
        (f"/./r/{TOKEN}", True),
        (f"https://k.example/r/{TOKEN}", True),
        # Only respondent pages load these: their lines must not carry the address either.
        ("/static/respond.css", True),
        ("/static/respond.js?v=3", True),
        ("/static/klankbord.css", False),
        (f"/login?next=/r/{TOKEN}", False),
        (f"/password/{TOKEN}", False),
        ("/reports/", False),
        ("/rapport", False),
        ("/healthz", False),
    ],
)
def test_respondent_paths_are_recognised_in_every_spelling(target, respondent):
    assert is_respondent_path(target) is respondent


def _filtered(msg: str, *args: object, exc_info: object = None) -> logging.LogRecord:
    record = logging.LogRecord("werkzeug", logging.INFO, __file__, 1, msg, args, exc_info)
    assert RedactTokens().filter(record) is True
    return record


# The development server's line: werkzeug formats the address and date into msg itself.
DEV_LINE = f'{CLIENT} - - [04/Dec/2026 10:00:00] "%s" %s %s'


@pytest.mark.parametrize(
    "request_line",
    [
        f"GET /r/{TOKEN}?lang=fr HTTP/1.1",
        f"POST /r//{TOKEN} HTTP/1.1",
        f"GET /%72/{TOKEN}/thanks?lang=fr HTTP/1.1",
        # Coloured, as werkzeug writes a 404 to a terminal.
        f"\x1b[33mGET /r/{TOKEN}?lang=fr HTTP/1.1\x1b[0m",
    ],
)
def test_a_respondent_line_of_the_development_server_loses_address_size_and_query(request_line):
    logged = _filtered(DEV_LINE, request_line, "200", str(SIZE)).getMessage()
    assert logged.startswith('- - - [04/Dec/2026 10:00:00] "')
    assert logged.endswith('" 200 -')
    for secret in (TOKEN, CLIENT, str(SIZE), "lang"):
        assert secret not in logged


def test_a_staff_line_of_the_development_server_keeps_address_and_size():
    record = _filtered(DEV_LINE, f"GET /login?next=%2Fr%2F{TOKEN} HTTP/1.1", "200", str(SIZE))
    assert record.getMessage() == (
        f'{CLIENT} - - [04/Dec/2026 10:00:00] "GET /login?next=/r/[token] HTTP/1.1" 200 {SIZE}'
    )


def test_the_filter_redacts_a_record_with_args_and_its_traceback():
    try:
        raise LookupError(f"no page at https://k.example/r/{TOKEN}")
    except LookupError:
        record = _filtered("Exception on %s [%s]", f"/R/{TOKEN}", "POST", exc_info=sys.exc_info())
    formatted = logging.Formatter().format(record)
    assert formatted.startswith("Exception on /R/[token] [POST]")
    assert "https://k.example/r/[token]" in formatted
    assert TOKEN not in formatted


def test_a_record_whose_args_do_not_fit_its_format_is_redacted_not_raised():
    record = _filtered("Exception on %s [%s]", f"/r/{TOKEN}")
    assert record.getMessage() == "Exception on %s [%s] ('/r/[token]',)"


def test_the_filter_is_installed_once():
    logger = logging.getLogger("tests.privacy.once")
    install_redaction(logger)
    install_redaction(logger)
    assert sum(isinstance(f, RedactTokens) for f in logger.filters) == 1


ACCESS_LOG_FORMAT = runpy.run_path(str(PROJECT_ROOT / "gunicorn.conf.py"))["access_log_format"]


def _access_line(raw_uri: str, referer: str = "-") -> str:
    """The line gunicorn would write for a request, formatted with the project's format."""
    path, _, query = raw_uri.partition("?")
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": raw_uri,
        "PATH_INFO": unquote(path),  # gunicorn decodes the path, not the query
        "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": CLIENT,
        "HTTP_REFERER": referer,
        "HTTP_USER_AGENT": "Firefox",
        "HTTP_X_FORWARDED_FOR": CLIENT,
        "HTTP_ACCEPT_LANGUAGE": "fr",
    }
    request_headers = [
        ("REFERER", referer),
        ("X-FORWARDED-FOR", CLIENT),
        ("ACCEPT-LANGUAGE", "fr"),
    ]
    response = SimpleNamespace(
        status="200 OK",
        sent=SIZE,
        headers=[("Content-Length", str(SIZE)), ("Location", f"/r/{TOKEN}?lang=fr")],
    )
    logger = RedactingLogger(Config())
    atoms = logger.atoms(
        response, SimpleNamespace(headers=request_headers), environ, timedelta(milliseconds=12)
    )
    extra = " %({x-forwarded-for}i)s %({accept-language}i)s %({location}o)s %({remote_addr}e)s"
    return (ACCESS_LOG_FORMAT + extra) % SafeAtoms(atoms)


@pytest.mark.parametrize(
    "raw_uri",
    [
        f"/r/{TOKEN}?lang=fr",
        f"/r//{TOKEN}?lang=fr",
        f"//r/{TOKEN}?lang=fr",
        f"/R/{TOKEN}?lang=fr",
        f"/%72/{TOKEN}?lang=fr",
        f"/r%2F{TOKEN}%3Flang=fr",
        f"/r/{TOKEN}/thanks?lang=fr",
    ],
)
def test_a_respondent_request_is_logged_without_address_size_or_query(raw_uri):
    line = _access_line(raw_uri, referer=f"https://k.example/r/{TOKEN}?lang=fr")
    assert line.startswith("- - - [")
    assert '" 200 - "https://k.example/r/[token]" "Firefox" 12ms - - - -' in line
    for secret in (TOKEN, CLIENT, str(SIZE), "lang"):
        assert secret not in line


def test_a_staff_request_keeps_its_address_and_size_but_no_token():
    line = _access_line(f"/login?next=%252Fr%252F{TOKEN}", referer=f"https://k.example//R//{TOKEN}")
    assert line.startswith(f"{CLIENT} - - [")
    assert (
        f'"GET /login?next=/r/[token] HTTP/1.1" 200 {SIZE} "https://k.example//R//[token]"'
    ) in line
    assert line.endswith(f"12ms {CLIENT} fr /r/[token]?lang=fr {CLIENT}")
    assert TOKEN not in line

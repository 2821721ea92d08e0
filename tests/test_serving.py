"""Production serving: gunicorn with the project's config, and logs without tokens.

These tests build their own app (no ``app`` fixture), so they run once, not per backend.
"""

from __future__ import annotations

import base64
import http.client
import logging
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time

import pytest

from survey import PROJECT_ROOT
from survey.privacy.logs import redact
from tests.conftest import make_app

TOKENS = ("SOMETOKEN123", "SOMETOKEN456", "PWTOKEN789")
# Requests to a respondent's pages, each spelling with its own token, and the status it gets.
RESPONDENT_REQUESTS = {
    "/r/SOMETOKEN123?lang=fr": 404,
    "/%72/SOMETOKEN456": 404,  # percent-encoded, the path still reaches the respondent view
    "/r//SOMETOKEN457?lang=fr": 308,  # redirected to the link itself
    "//r/SOMETOKEN458": 404,
    "/R/SOMETOKEN459": 404,
    "/r%2FSOMETOKEN460": 404,
    "/r/SOMETOKEN461/thanks?lang=fr": 404,
}
RESPONDENT_TOKENS = tuple(
    re.sub(r".*(SOMETOKEN\d+).*", r"\1", path) for path in RESPONDENT_REQUESTS
)
# gunicorn.conf.py's access_log_format.
ACCESS_LINE = re.compile(
    r'(?P<h>\S+) - - \[[^\]]+\] "(?P<r>[^"]*)" (?P<s>\d{3}) (?P<b>\S+) '
    r'"(?P<f>[^"]*)" "(?P<a>[^"]*)" \d+ms'
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(port: int, path: str, headers: dict[str, str] | None = None) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def _wait_until_serving(port: int, server: subprocess.Popen) -> None:
    """Poll /healthz until gunicorn answers (a start-up wait, not a timed assertion)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"gunicorn exited with {server.returncode}: {server.communicate()}")
        try:
            _get(port, "/healthz")
            return
        except OSError:
            time.sleep(0.1)
    pytest.fail("gunicorn did not start")


def test_gunicorn_serves_with_the_config_and_logs_no_tokens(tmp_path):
    database_url = f"sqlite:///{tmp_path / 'served.sqlite'}"
    access_log = tmp_path / "access.log"
    port = _free_port()
    # gunicorn and the migration share one anonymity key (32 bytes, URL-safe base64): the
    # server refuses to start with a key the database's check value was not made with.
    anonymity_key = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii")
    env = {
        **os.environ,
        "KLANKBORD_DATABASE_URL": database_url,
        "KLANKBORD_SECRET_KEY": secrets.token_hex(32),
        "KLANKBORD_ANONYMITY_KEY": anonymity_key,
        "KLANKBORD_BIND": f"127.0.0.1:{port}",
        "KLANKBORD_WORKERS": "1",
        "KLANKBORD_THREADS": "2",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            str(PROJECT_ROOT / "gunicorn.conf.py"),
            "--access-logfile",
            str(access_log),
        ],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # Migrating while the worker boots: the app touches the database only per request.
        migrating = make_app(database_url, ANONYMITY_KEY=anonymity_key)
        init = migrating.test_cli_runner().invoke(args=["init-db"])
        assert init.exit_code == 0, init.output
        _wait_until_serving(port, server)
        referer = {"Referer": "https://klankbord.example/r/SOMETOKEN123?page=2"}
        assert _get(port, "/healthz", referer) == 200
        # Named by their User-Agent, which the log keeps; each comes from its own page.
        for number, (path, status) in enumerate(RESPONDENT_REQUESTS.items()):
            own_page = {
                "Referer": "https://klankbord.example/r/SOMETOKEN123?lang=fr",
                "User-Agent": f"respondent-{number}",
            }
            assert _get(port, path, own_page) == status, path
        assert _get(port, "/password/PWTOKEN789") == 404
        assert _get(port, "/password//PWTOKEN789") == 308
        assert _get(port, "/login?next=%2Fr%2FSOMETOKEN123") == 200
    finally:
        server.send_signal(signal.SIGTERM)
        stdout, stderr = server.communicate(timeout=60)

    log = access_log.read_text(encoding="utf-8")
    lines = [ACCESS_LINE.fullmatch(line) for line in log.splitlines()]
    assert all(lines), log
    assert '"GET /healthz HTTP/1.1" 200' in log
    assert '"https://klankbord.example/r/[token]?page=2"' in log
    assert '"GET /password/[token] HTTP/1.1" 404' in log
    assert '"GET /password//[token] HTTP/1.1" 308' in log
    assert '"GET /login?next=/r/[token] HTTP/1.1" 200' in log
    for token in (*TOKENS, *RESPONDENT_TOKENS):
        assert token not in log
        assert token not in stdout
        assert token not in stderr

    # A respondent's lines: no address, no size, no query string (nor the Referer's).
    # Matched by User-Agent: a worker's threads may write their lines out of order.
    respondent = {line["a"]: line for line in lines if line["a"].startswith("respondent-")}
    assert len(respondent) == len(RESPONDENT_REQUESTS)
    for number, (path, status) in enumerate(RESPONDENT_REQUESTS.items()):
        line = respondent[f"respondent-{number}"]
        assert line["h"] == "-", line[0]
        assert line["b"] == "-", line[0]
        assert "?" not in line["r"], line[0]
        assert line["s"] == str(status), path
        assert "lang" not in line[0]
    assert '"GET /r/[token] HTTP/1.1" 404 - "https://klankbord.example/r/[token]"' in log
    assert '"GET /r/[token]/thanks HTTP/1.1" 404 -' in log
    # Staff lines keep them: the health check's size and the address of every other request.
    staff = [line for line in lines if line not in respondent.values()]
    assert staff
    assert all(line["h"] == "127.0.0.1" for line in staff)
    assert all(line["b"] != "-" for line in staff if line["r"].startswith("GET /healthz"))


@pytest.mark.parametrize(
    ("raw", "logged"),
    [
        ("GET /r/abc-DEF_123/thanks HTTP/1.1", "GET /r/[token]/thanks HTTP/1.1"),
        ("https://k.example/r/abc?lang=ar", "https://k.example/r/[token]?lang=ar"),
        ("/login?next=%2Fr%2Fabc123", "/login?next=/r/[token]"),
        ("/password/xyz", "/password/[token]"),
        ("/password/forgot/sent", "/password/forgot/sent"),
        ("/reports/?school_year=2025-2026", "/reports/?school_year=2025-2026"),
    ],
)
def test_redact_removes_respondent_and_password_tokens(raw, logged):
    assert redact(raw) == logged


def test_flask_error_log_is_redacted(tmp_path, caplog):
    # Flask logs "Exception on <path> [<method>]" when a view fails, outside any access log.
    app = make_app(f"sqlite:///{tmp_path / 'unused.sqlite'}")
    with caplog.at_level(logging.ERROR, logger=app.logger.name):
        app.logger.error("Exception on /r/SOMETOKEN123 [POST]")
        app.logger.error("Exception on /password/PWTOKEN789 [POST]")
    assert "/r/[token]" in caplog.text
    assert "/password/[token]" in caplog.text
    assert "SOMETOKEN123" not in caplog.text
    assert "PWTOKEN789" not in caplog.text

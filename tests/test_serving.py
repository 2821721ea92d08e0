"""Production serving: gunicorn with the project's config, and logs without tokens.

These tests build their own app (no ``app`` fixture), so they run once, not per backend.
"""

from __future__ import annotations

import http.client
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import time

import pytest

from survey import PROJECT_ROOT
from survey.serving import redact
from tests.conftest import make_app

TOKENS = ("SOMETOKEN123", "SOMETOKEN456", "PWTOKEN789")


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
    env = {
        **os.environ,
        "KLANKBORD_DATABASE_URL": database_url,
        "KLANKBORD_SECRET_KEY": secrets.token_hex(32),
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
        init = make_app(database_url).test_cli_runner().invoke(args=["init-db"])
        assert init.exit_code == 0, init.output
        _wait_until_serving(port, server)
        referer = {"Referer": "https://klankbord.example/r/SOMETOKEN123?page=2"}
        assert _get(port, "/healthz", referer) == 200
        assert _get(port, "/r/SOMETOKEN123?lang=fr") == 404
        # Percent-encoded, the path still reaches the respondent view.
        assert _get(port, "/%72/SOMETOKEN456") == 404
        assert _get(port, "/password/PWTOKEN789") == 404
    finally:
        server.send_signal(signal.SIGTERM)
        stdout, stderr = server.communicate(timeout=60)

    log = access_log.read_text(encoding="utf-8")
    assert '"GET /healthz HTTP/1.1" 200' in log
    assert '"https://klankbord.example/r/[token]?page=2"' in log
    assert '"GET /r/[token]?lang=fr HTTP/1.1" 404' in log
    assert '"GET /r/[token] HTTP/1.1" 404' in log
    assert '"GET /password/[token] HTTP/1.1" 404' in log
    for token in TOKENS:
        assert token not in log
        assert token not in stdout
        assert token not in stderr


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

"""A live server on loopback with the demo centre, driven by Debian's Chromium.

Playwright's own browser download is never used: ``executable_path`` points at
``/usr/bin/chromium``. Without Chromium the tests are skipped, except under ``CI=true``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask_migrate import upgrade
from werkzeug.serving import make_server

from survey import MIGRATIONS_DIR
from survey.demo.services import load_demo
from survey.extensions import db
from tests.conftest import IN_CI, make_app

CHROMIUM = Path("/usr/bin/chromium")
DEMO_PASSWORD = "browser-demo-password"
# The flags a root sandbox needs, and no calls home (this machine's network is closed).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def live_app(tmp_path_factory: pytest.TempPathFactory):
    database = tmp_path_factory.mktemp("live") / "live.sqlite"
    return make_app(f"sqlite:///{database}")


@pytest.fixture(scope="session")
def live_server(live_app) -> Iterator[str]:
    app = live_app
    with app.app_context():
        upgrade(directory=str(MIGRATIONS_DIR))
        load_demo(DEMO_PASSWORD, "env")
        db.session.commit()
    app.config["BASE_URL"] = "http://127.0.0.1"
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config["BASE_URL"] = f"http://127.0.0.1:{server.server_port}"
    yield app.config["BASE_URL"]
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        if IN_CI:
            pytest.fail("Debian's chromium is not installed: CI must run the browser tests")
        pytest.skip("/usr/bin/chromium not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield instance
        instance.close()


@pytest.fixture
def phone(browser, live_server):
    """A page at a phone's size (390 x 844), recording every URL the page asks for."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="nl-BE", base_url=live_server
    )
    page = context.new_page()
    page.requested_urls = []
    page.on("request", lambda request: page.requested_urls.append(request.url))
    yield page
    context.close()


@pytest.fixture
def invite(live_app, live_server):
    """Run ``klankbord invite`` against the live server's database; return the first link."""

    def issue(*args: str) -> str:
        result = live_app.test_cli_runner().invoke(args=["invite", *args])
        assert result.exit_code == 0, result.output
        return result.output.strip().splitlines()[0]

    return issue


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go: ``KLANKBORD_SCREENSHOTS`` to keep them, else a temporary folder."""
    chosen = os.environ.get("KLANKBORD_SCREENSHOTS")
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder

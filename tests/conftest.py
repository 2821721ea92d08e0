"""Fixtures: the app on the migrated schema of SQLite and PostgreSQL, with per-test rollback.

Every database test runs once per backend. PostgreSQL comes from
``KLANKBORD_TEST_POSTGRES_URL`` (a URL whose user may create databases); without it the
PostgreSQL half is skipped, except under ``CI=true``, where a skip would hide a failure.
"""

from __future__ import annotations

import email
import email.policy
import os
import re
import secrets
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from survey import MIGRATIONS_DIR, PROJECT_ROOT, create_app
from survey.extensions import db as _db
from survey.privacy.keys import new_key
from survey.questionnaire_versions.services import register_builtin_questionnaires
from tests.factories import TEST_PASSWORD, Factories

IN_CI = os.environ.get("CI") == "true"
POSTGRES_URL = os.environ.get("KLANKBORD_TEST_POSTGRES_URL")
BACKENDS = ("sqlite", "postgresql")


def pytest_configure(config: pytest.Config) -> None:
    """Compile the Babel catalogs, so the tests see the Dutch interface as users do."""
    for po_path in (PROJECT_ROOT / "translations").glob("*/LC_MESSAGES/messages.po"):
        with po_path.open("rb") as handle:
            catalog = read_po(handle)
        with po_path.with_suffix(".mo").open("wb") as handle:
            write_mo(handle, catalog)


def postgres_admin_url() -> str:
    if not POSTGRES_URL:
        message = "KLANKBORD_TEST_POSTGRES_URL is not set"
        if IN_CI:
            pytest.fail(f"{message}: CI must test PostgreSQL")
        pytest.skip(f"{message}; PostgreSQL tests skipped")
    return POSTGRES_URL


@contextmanager
def fresh_database(backend: str, folder: Path) -> Iterator[str]:
    """An empty database of the given backend, dropped afterwards."""
    if backend == "sqlite":
        path = folder / f"klankbord-{secrets.token_hex(4)}.sqlite"
        yield f"sqlite:///{path}"
        path.unlink(missing_ok=True)
        return
    admin_url = make_url(postgres_admin_url())
    name = f"klankbord_test_{secrets.token_hex(6)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        if IN_CI:
            raise
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def make_app(database_url: str, **extra: object) -> Flask:
    return create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": secrets.token_hex(32),
            "ANONYMITY_KEY": new_key(),
            # Tests read the mail in the request that asked for it; the background path has
            # its own test (tests/privacy/test_password_reset_timing.py).
            "PASSWORD_MAIL_IN_BACKGROUND": False,
            **extra,
        }
    )


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def app(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """One migrated database per backend for the whole session."""
    with fresh_database(backend, tmp_path_factory.mktemp(backend)) as url:
        application = make_app(url)
        with application.app_context():
            upgrade(directory=str(MIGRATIONS_DIR))
            register_builtin_questionnaires()
            _db.session.commit()
            # Each test's session works inside a savepoint of an outer transaction that
            # the db fixture rolls back, so application commits never reach the disk.
            _db.session.remove()
            _db.session.configure(join_transaction_mode="create_savepoint")
        yield application
        with application.app_context():
            _db.session.remove()
            for engine in _db.engines.values():
                engine.dispose()


@pytest.fixture
def db(app: Flask) -> Iterator[object]:
    """The database, with everything a test does rolled back afterwards."""
    with app.app_context():
        engine = _db.engines[None]
        connection = engine.connect()
        transaction = connection.begin()
        _db.engines[None] = connection
        try:
            yield _db
        finally:
            _db.session.remove()
            _db.engines[None] = engine
            transaction.rollback()
            connection.close()


class FreshGlobalsClient(FlaskClient):
    """A test client whose every request starts with an empty ``g``.

    The db fixture keeps an app context pushed for the test body, and Flask reuses it for
    requests; Flask-Login and Flask-Babel cache the user and locale on ``g``, which would
    otherwise leak from one request (or one client) to the next.
    """

    def open(self, *args, **kwargs):  # type: ignore[override]
        from flask import g

        saved = dict(vars(g))
        vars(g).clear()
        try:
            return super().open(*args, **kwargs)
        finally:
            vars(g).clear()
            vars(g).update(saved)


@pytest.fixture
def client(app: Flask, db: object) -> FlaskClient:
    app.test_client_class = FreshGlobalsClient
    return app.test_client()


@pytest.fixture
def runner(app: Flask, db: object):
    return app.test_cli_runner()


# --------------------------------------------------------------------------- helpers

_CSRF = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|'
    r'name="csrf_token" value="([^"]+)"'
)


def csrf_in(page: str) -> str:
    """The CSRF token of the (first) form in a page's HTML."""
    match = _CSRF.search(page)
    assert match, "no CSRF token on the page"
    return match.group(1) or match.group(2)


def csrf_token(client: FlaskClient, path: str) -> str:
    return csrf_in(client.get(path).get_data(as_text=True))


def radio_names(page: str) -> list[str]:
    """The statements (radio groups) on a respondent's page."""
    return sorted(set(re.findall(r'name="(item-[^"]+)"', page)))


def checked_radios(page: str) -> dict[str, str]:
    """Which value each radio group has checked in the HTML."""
    found = {}
    for tag in re.findall(r"<input[^>]*>", page):
        if " checked" in tag and 'type="radio"' in tag:
            name = re.search(r'name="([^"]+)"', tag).group(1)
            found[name] = re.search(r'value="([^"]+)"', tag).group(1)
    return found


def login(client: FlaskClient, email: str, password: str = TEST_PASSWORD, follow: bool = False):
    token = csrf_token(client, "/login")
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token},
        follow_redirects=follow,
    )


class Inbox:
    """What the local SMTP server received, as parsed e-mail messages."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 OK"

    def body(self, index: int = -1) -> str:
        return self.messages[index].get_body().get_content()


@contextmanager
def mail_server(handler: object | None = None) -> Iterator[tuple[Any, int]]:
    """A real SMTP server (aiosmtpd) on a free loopback port: its handler (an Inbox unless
    another is given) and its port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = handler if handler is not None else Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
def smtp(app: Flask) -> Iterator[Inbox]:
    """A real SMTP server with the app pointed at it."""
    with mail_server() as (inbox, port):
        old = {key: app.config[key] for key in ("SMTP_HOST", "SMTP_PORT", "SMTP_STARTTLS")}
        app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_STARTTLS=False)
        yield inbox
        app.config.update(old)


TODAY = date(2026, 3, 10)


@pytest.fixture
def today(monkeypatch: pytest.MonkeyPatch) -> date:
    """Freeze the Belgian calendar day the app sees (campaign dates depend on it)."""
    monkeypatch.setattr("survey.clock.today", lambda: TODAY)
    return TODAY


@pytest.fixture(autouse=True)
def _fresh_report_cache() -> Iterator[None]:
    """Rolled-back tests reuse SQLite ids, so a cached report could outlive its data."""
    from survey.api import services as api_services
    from survey.reports import services

    services._cache.clear()
    api_services._rows_cache.clear()
    yield
    services._cache.clear()
    api_services._rows_cache.clear()


@pytest.fixture
def make(db: object):
    """Factories for the domain objects, flushed into the test's transaction."""
    return Factories(_db.session)

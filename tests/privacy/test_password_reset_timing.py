"""The forgotten-password form does the same work for every address, so time tells nothing.

Before, the request looked the address up and, for an account, made a link and waited for the
mail server, while an unknown address was answered at once: a stopwatch told who has an
account. Now the request only hands the address to a worker thread. The check is structural,
not timed: the answer comes while the mail server is still holding the message, and the
request runs the same statements (none) for a known and an unknown address.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask_migrate import upgrade
from sqlalchemy import event

from survey import MIGRATIONS_DIR
from survey.extensions import db
from survey.models import Role
from tests.conftest import csrf_token, fresh_database, mail_server, make_app
from tests.factories import Factories


class HeldInbox:
    """An SMTP handler that holds every message until released."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.received: list[str] = []

    async def handle_DATA(self, server, session, envelope):
        while not self.release.is_set():
            await asyncio.sleep(0.02)
        self.received.append(envelope.content.decode("utf-8", "replace"))
        return "250 OK"


@contextmanager
def _held_mail_server() -> Iterator[tuple[HeldInbox, int]]:
    inbox = HeldInbox()
    with mail_server(inbox) as (_handler, port):
        try:
            yield inbox, port
        finally:
            # Before the server stops: a held message would keep it from stopping.
            inbox.release.set()


@pytest.fixture
def world(backend, tmp_path):
    with _held_mail_server() as (inbox, port), fresh_database(backend, tmp_path) as url:
        app = make_app(
            url,
            PASSWORD_MAIL_IN_BACKGROUND=True,
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=port,
            SMTP_STARTTLS=False,
        )
        with app.app_context():
            upgrade(directory=str(MIGRATIONS_DIR))
            user = Factories(db.session).user(Factories(db.session).centre(), Role.COORDINATOR)
            email = user.email
            db.session.commit()
            db.session.remove()
        yield app, inbox, email
        inbox.release.set()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _statements_of_this_thread(app, ask) -> int:
    """How many SQL statements ``ask()`` runs on the calling (the request's) thread."""
    here = threading.get_ident()
    count = 0

    def counted(*_args) -> None:
        nonlocal count
        if threading.get_ident() == here:
            count += 1

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", counted)
    try:
        ask()
    finally:
        event.remove(engine, "before_cursor_execute", counted)
    return count


def _forgot(client, email: str) -> None:
    answer = client.post(
        "/password/forgot",
        data={"email": email, "csrf_token": csrf_token(client, "/password/forgot")},
    )
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith("/password/forgot/sent")


def test_known_and_unknown_addresses_get_the_same_answer_before_any_mail(world):
    app, inbox, email = world
    client = app.test_client()
    known = _statements_of_this_thread(app, lambda: _forgot(client, email))
    # The answer came while the mail server still holds the message: the request did not
    # wait for it, nor for the link made for the account.
    assert inbox.received == []
    unknown = _statements_of_this_thread(app, lambda: _forgot(client, "nobody@example.org"))
    assert known == unknown
    inbox.release.set()
    deadline = time.monotonic() + 30
    while not inbox.received and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(inbox.received) == 1, "the account's reset link is mailed after the answer"
    assert "/password/" in inbox.received[0]
    time.sleep(0.5)
    assert len(inbox.received) == 1, "nothing is mailed for an unknown address"

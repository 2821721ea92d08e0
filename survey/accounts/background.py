"""The password-reset mail, sent after the answer: the form takes as long for every address.

Looking the address up, making a link and talking to the mail server take measurably longer
for an address that has an account than for one that has none, so a form that did that work
before answering told anyone with a stopwatch who has an account. The request now only hands
the address over; a worker thread of the process does the rest.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from flask import Flask, current_app

from survey.accounts.services import MailError, request_password_reset
from survey.extensions import db

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _executor() -> ThreadPoolExecutor:
    # Made on first use, in the worker process: gunicorn forks its workers from a master that
    # has imported the app, and threads do not survive a fork.
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="password-mail")
        return _pool


def send_reset_link(email: str) -> None:
    """Mail a reset link if the address has an account; a link that could not go is not kept."""
    try:
        with db.session.begin_nested():
            request_password_reset(email)
    except MailError:
        # The operator finds the failure in the log; the person asking saw the same page.
        current_app.logger.exception("Could not mail a password reset link")
        return
    db.session.commit()


def _in_app_context(app: Flask, email: str) -> None:
    with app.app_context():
        try:
            send_reset_link(email)
        except Exception:
            db.session.rollback()
            app.logger.exception("Password reset for a typed address failed")
        finally:
            db.session.remove()


def send_reset_link_later(email: str) -> None:
    """Hand the address to the worker thread (``PASSWORD_MAIL_IN_BACKGROUND``, the default)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.config.get("PASSWORD_MAIL_IN_BACKGROUND", True):
        _executor().submit(_in_app_context, app, email)
    else:
        send_reset_link(email)

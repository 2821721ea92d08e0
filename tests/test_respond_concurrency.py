"""Two requests for one link at the same moment, on PostgreSQL's own connections.

The other tests share one connection and roll it back; here the submission and the draft save
each have their own transaction, as two browser tabs served by two gunicorn threads do. Only
PostgreSQL lets them interleave: SQLite runs one writing transaction at a time.

What serialises them is the link's advisory lock (survey.privacy.spending.lock_link), taken by
both a submission and a draft save: no row lock, which would write the respondent's
transaction id into a stored row.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from flask_migrate import upgrade
from sqlalchemy import create_engine, func, select, text

from survey import MIGRATIONS_DIR
from survey.campaigns.services import issue_invitations
from survey.extensions import db
from survey.models import Audience
from survey.privacy.links import open_link
from survey.privacy.models import ResponseDraft, ResponseInbox, SpentLink
from survey.privacy.spending import is_spent
from survey.privacy.tokens import read_link
from survey.questionnaire_versions.services import register_builtin_questionnaires
from survey.respond.services import Answers, save_draft, submit
from tests.conftest import TODAY, fresh_database, make_app
from tests.factories import Factories


def _waiting_for_a_lock(url: str, advisory_key: int | None, seconds: float = 10) -> bool:
    """Whether some session of the database waits for a lock within ``seconds``.

    With ``advisory_key``, only a wait for that advisory lock counts (pg_locks shows a bigint
    key as its high and low 32 bits, with objsubid 1).
    """
    query = (
        "SELECT count(*) FROM pg_locks JOIN pg_stat_activity USING (pid) "
        "WHERE datname = current_database() AND NOT granted AND wait_event_type = 'Lock'"
    )
    parameters = {}
    if advisory_key is not None:
        unsigned = advisory_key & 0xFFFFFFFFFFFFFFFF
        query += (
            " AND locktype = 'advisory' AND wait_event = 'advisory'"
            " AND classid::bigint = :high AND objid::bigint = :low AND objsubid = 1"
        )
        parameters = {"high": unsigned >> 32, "low": unsigned & 0xFFFFFFFF}
    watcher = create_engine(url)
    try:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with watcher.connect() as connection:
                waiting = connection.scalar(text(query), parameters)
            if waiting:
                return True
            time.sleep(0.05)
        return False
    finally:
        watcher.dispose()


def _prepared_app(url: str):
    app = make_app(url)
    with app.app_context():
        upgrade(directory=str(MIGRATIONS_DIR))
        register_builtin_questionnaires()
        make = Factories(db.session)
        campaign = make.school_campaign(make.school(make.centre()))
        token = issue_invitations(campaign, Audience.PARENT, 1, TODAY)[0].token
        db.session.commit()
    return app, token


def _while_the_link_is_being_sent(
    app, url: str, token: str, other_tab: Callable[[], None], on_the_links_lock: bool
) -> None:
    """Run ``other_tab`` in its own thread while a submission of ``token`` is uncommitted.

    Returns once ``other_tab`` has finished; asserts that it waited (for the link's advisory
    lock, with ``on_the_links_lock``) until the submission committed.
    """
    with app.app_context():
        sending = open_link(token)
        assert submit(sending, Answers({"q1": 3}), TODAY)  # spent, not yet committed
        thread = threading.Thread(target=other_tab)
        thread.start()
        try:
            # The other tab waits for the submission's hold on the link...
            advisory_key = sending.link.lock_key if on_the_links_lock else None
            assert _waiting_for_a_lock(url, advisory_key)
            assert thread.is_alive()
        finally:
            db.session.commit()
            thread.join(timeout=30)
        assert not thread.is_alive()


def test_a_draft_saved_while_the_link_is_being_sent_waits_and_is_refused(tmp_path):
    with fresh_database("postgresql", tmp_path) as url:
        app, token = _prepared_app(url)
        saved: list[bool] = []

        def other_tab_saves_a_page() -> None:
            with app.app_context():
                # Read while the submission is not yet committed: the link looks open.
                opened = open_link(token)
                assert opened.spent is False
                saved.append(save_draft(opened, Answers({"q1": 2}), TODAY))
                db.session.commit()

        # The save waits on the link's own advisory lock: without it, it would see the link
        # unspent, write its draft and commit, and the draft would outlive the submission.
        _while_the_link_is_being_sent(app, url, token, other_tab_saves_a_page, True)
        with app.app_context():
            # ...and then sees the link spent: no draft outlives the answers it became.
            assert saved == [False]
            assert db.session.scalar(select(func.count()).select_from(ResponseDraft)) == 0
            assert is_spent(read_link(token))
            assert db.session.scalar(select(func.count()).select_from(SpentLink)) == 1
            assert db.session.scalar(select(func.count()).select_from(ResponseInbox)) == 1
            db.session.remove()
            db.engine.dispose()


def test_a_second_submission_of_the_link_at_the_same_moment_stores_nothing(tmp_path):
    with fresh_database("postgresql", tmp_path) as url:
        app, token = _prepared_app(url)
        sent: list[bool] = []

        def other_tab_sends_too() -> None:
            with app.app_context():
                opened = open_link(token)
                assert opened.spent is False
                sent.append(submit(opened, Answers({"q1": 1}), TODAY))
                db.session.commit()

        # Its nullifier's insert waits on the first one's (the primary key), if not already on
        # the link's lock, and then conflicts: nothing is stored twice.
        _while_the_link_is_being_sent(app, url, token, other_tab_sends_too, False)
        with app.app_context():
            assert sent == [False]
            assert db.session.scalar(select(func.count()).select_from(SpentLink)) == 1
            assert db.session.scalar(select(func.count()).select_from(ResponseInbox)) == 1
            db.session.remove()
            db.engine.dispose()

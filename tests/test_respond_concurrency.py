"""Two requests for one link at the same moment, on PostgreSQL's own connections.

The other tests share one connection and roll it back; here the submission and the draft save
each have their own transaction, as two browser tabs served by two gunicorn threads do. Only
PostgreSQL lets them interleave: SQLite runs one writing transaction at a time.
"""

from __future__ import annotations

import threading
import time

from flask_migrate import upgrade
from sqlalchemy import create_engine, func, select, text

from survey import MIGRATIONS_DIR
from survey.campaigns.services import issue_invitations
from survey.extensions import db
from survey.models import Audience, Invitation, ResponseDraft
from survey.questionnaire_versions.services import register_builtin_questionnaires
from survey.respond.services import Answers, save_draft, submit
from tests.conftest import TODAY, fresh_database, make_app
from tests.factories import Factories


def _waiting_for_a_lock(url: str, seconds: float = 10) -> bool:
    """Whether some session of the database waits for a row lock within ``seconds``."""
    watcher = create_engine(url)
    try:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with watcher.connect() as connection:
                waiting = connection.scalar(
                    text(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                    )
                )
            if waiting:
                return True
            time.sleep(0.05)
        return False
    finally:
        watcher.dispose()


def test_a_draft_saved_while_the_link_is_being_sent_waits_and_is_refused(tmp_path):
    with fresh_database("postgresql", tmp_path) as url:
        app = make_app(url)
        with app.app_context():
            upgrade(directory=str(MIGRATIONS_DIR))
            register_builtin_questionnaires()
            make = Factories(db.session)
            campaign = make.school_campaign(make.school(make.centre()))
            link = issue_invitations(campaign, Audience.PARENT, 1, TODAY)[0].invitation.id
            db.session.commit()

        saved: list[bool] = []

        def other_tab_saves_a_page() -> None:
            with app.app_context():
                # Read while the submission is not yet committed: the link looks open.
                invitation = db.session.get(Invitation, link)
                assert invitation.used is False
                saved.append(save_draft(invitation, Answers({"q1": 2}), TODAY))
                db.session.commit()

        with app.app_context():
            sending = db.session.get(Invitation, link)
            assert submit(sending, Answers({"q1": 3}), TODAY)  # spent, not yet committed
            other_tab = threading.Thread(target=other_tab_saves_a_page)
            other_tab.start()
            try:
                # The save waits for the submission's hold on the link...
                assert _waiting_for_a_lock(url)
                assert other_tab.is_alive()
            finally:
                db.session.commit()
                other_tab.join(timeout=30)
            # ...and then sees the link spent: no draft outlives the answers it became.
            assert saved == [False]
            assert db.session.scalar(select(func.count()).select_from(ResponseDraft)) == 0
            assert db.session.get(Invitation, link).used
            db.session.remove()
            db.engine.dispose()

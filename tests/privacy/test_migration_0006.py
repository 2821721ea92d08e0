"""Migration 0006 with data: old-style rows in, the new design's rows out, and back again.

The database is built at revision 0005 and filled with plain SQL as the old application wrote
it (used flags, a readable inbox payload with its submission day, a draft tied to its
invitation, answers with ``submitted_on``), then upgraded to the head and downgraded again.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from survey import MIGRATIONS_DIR
from survey.extensions import db
from survey.privacy.inbox import Attributes, open_waiting
from survey.privacy.keys import subkey
from survey.privacy.sealing import SealError, unseal_json
from tests.conftest import fresh_database, make_app

NOW = datetime(2026, 3, 1, 12, 0)
INBOX_ID = uuid.UUID("0b5e0e57-0000-4000-8000-000000000001")
PAYLOAD = {
    "questionnaire_version_id": 1,
    "school_id": 1,
    "school_year": "2025-2026",
    "audience": "parent",
    "coach_id": None,
    "submitted_on": "2026-03-02",
    "values": {"q1": 3, "q2": 0, "q3": 4},
    "texts": {"nog-iets": "Dank u voor de begeleiding van Lotte"},
}
# Campaign 1: five links, three used, one answer still waiting, two published.
USED = [True, True, True, False, False]
EMAILS = ["an@example.org", None, None, "bert@example.org", None]


def _sql(statement: str, **params) -> None:
    """Run one statement, with typed parameters where the column type needs it."""
    types = {
        "payload": sa.JSON,
        "answers": sa.JSON,
        "levels": sa.JSON,
        "definition": sa.JSON,
        "audiences": sa.JSON,
        "id_uuid": sa.Uuid,
    }
    clause = text(statement).bindparams(
        *(sa.bindparam(name, type_=types[name]) for name in params if name in types)
    )
    db.session.execute(clause, params)


def _fill_old_schema() -> None:
    _sql(
        "INSERT INTO centre (id, code, name, created_at) VALUES (1, 'lsc-oud', 'LSC Oud', :at)",
        at=NOW,
    )
    _sql(
        "INSERT INTO school (id, centre_id, name, institution_number, levels) "
        "VALUES (1, 1, 'VBS Oud', '123456', :levels)",
        levels=["lager"],
    )
    _sql(
        "INSERT INTO questionnaire_version "
        "(id, questionnaire_id, version, mode, content_hash, definition, registered_at) "
        "VALUES (1, 'tevredenheid-ouders', 1, 'anonymous', :hash, :definition, :at)",
        hash="0" * 64,
        definition={},
        at=NOW,
    )
    for campaign_id in (1, 2):
        _sql(
            "INSERT INTO campaign (id, centre_id, questionnaire_version_id, scope, school_id, "
            "audiences, opens_on, closes_on, status, created_at) "
            "VALUES (:id, 1, 1, 'school', 1, :audiences, :opens, :closes, 'open', :at)",
            id=campaign_id,
            audiences=["parent"],
            opens=date(2025, 9, 1),
            closes=date(2026, 6, 30),
            at=NOW,
        )
    for number, (used, email) in enumerate(zip(USED, EMAILS, strict=True), start=1):
        _sql(
            "INSERT INTO invitation (id, campaign_id, token_hash, audience, language, used, "
            "email, email_sent, reminder_sent, created_on) "
            "VALUES (:id, 1, :hash, 'parent', 'nl', :used, :email, :sent, :reminded, :on)",
            id=number,
            hash=f"{number:064x}",
            used=used,
            email=email,
            sent=email is not None,
            reminded=False,
            on=date(2026, 2, 1),
        )
    _sql(
        "INSERT INTO response_inbox (id, centre_id, campaign_id, payload) "
        "VALUES (:id_uuid, 1, 1, :payload)",
        id_uuid=INBOX_ID,
        payload=PAYLOAD,
    )
    _sql(
        "INSERT INTO response_draft (invitation_id, answers, updated_on) VALUES (4, :answers, :on)",
        answers={"values": {"q1": 2}, "texts": {}},
        on=date(2026, 3, 3),
    )
    for school_year, submitted_on in (
        ("2025-2026", date(2026, 2, 10)),
        ("2025-2026", date(2026, 2, 11)),
        ("2024-2025", date(2025, 3, 3)),
    ):
        response_id = uuid.uuid4()
        _sql(
            "INSERT INTO anonymous_response (id, questionnaire_version_id, centre_id, school_id, "
            "school_year, audience, submitted_on) "
            "VALUES (:id_uuid, 1, 1, 1, :year, 'parent', :on)",
            id_uuid=response_id,
            year=school_year,
            on=submitted_on,
        )
        _sql(
            "INSERT INTO anonymous_answer (response_id, item_id, value) VALUES (:id_uuid, 'q1', 4)",
            id_uuid=response_id,
        )
        _sql(
            "INSERT INTO anonymous_comment (response_id, question_id, text) "
            "VALUES (:id_uuid, 'nog-iets', 'Fijn')",
            id_uuid=response_id,
        )
    db.session.commit()


def _columns(table: str) -> set[str]:
    return {column["name"] for column in inspect(db.engine).get_columns(table)}


def _rows(statement: str) -> list:
    return db.session.execute(text(statement)).all()


def _check_upgraded() -> None:
    # The waiting answer: sealed, only its campaign in clear, opening to the same content.
    assert _columns("response_inbox") == {"id", "campaign_id", "sealed"}
    [row] = _rows("SELECT id, campaign_id, sealed FROM response_inbox")
    sealed = bytes(row.sealed)
    assert row.campaign_id == 1
    for readable in ("Lotte", "nog-iets", "2025-2026", "parent", '"values"'):
        assert readable.encode() not in sealed, readable
    waiting = open_waiting(row, subkey("inbox"))
    assert waiting.attributes == Attributes(
        centre_id=1,
        school_year="2025-2026",
        school_id=1,
        audience="parent",
        coach_id=None,
        questionnaire_version_id=1,
    )
    assert waiting.values == PAYLOAD["values"]
    assert waiting.texts == PAYLOAD["texts"]
    # The submission day did not survive the sealing.
    opened = unseal_json(subkey("inbox"), sealed, b"inbox:1")
    assert set(opened) == {"attributes", "values", "texts"}
    assert "2026-03-02" not in json.dumps(opened)

    # Published answers counted from the old flags: links used minus answers waiting.
    counts = dict(_rows("SELECT id, published_answers FROM campaign ORDER BY id"))
    assert counts == {1: USED.count(True) - 1, 2: 0}

    # Drafts tied to invitations are gone; the invitations stay (response rates count them),
    # with no flag, hash or address left.
    assert _rows("SELECT count(*) FROM response_draft") == [(0,)]
    assert _columns("response_draft") == {"id", "campaign_id", "sealed", "updated_on"}
    assert not _columns("invitation") & {"used", "token_hash", "reminder_token_hash"}
    invitations = _rows("SELECT id, email, sealed_link FROM invitation ORDER BY id")
    assert invitations == [(number, None, None) for number in range(1, 6)]
    assert _rows("SELECT count(*) FROM spent_link") == [(0,)]

    # Published answers keep their school year and lose their submission day.
    assert "submitted_on" not in _columns("anonymous_response")
    published = _rows("SELECT school_year, published_on FROM anonymous_response")
    assert sorted((year, str(day)) for year, day in published) == [
        ("2024-2025", "2024-09-01"),
        ("2025-2026", "2025-09-01"),
        ("2025-2026", "2025-09-01"),
    ]


def _check_downgraded() -> None:
    assert _columns("response_inbox") == {"id", "centre_id", "campaign_id", "payload"}
    [(centre_id, campaign_id, payload)] = _rows(
        "SELECT centre_id, campaign_id, payload FROM response_inbox"
    )
    payload = payload if isinstance(payload, dict) else json.loads(payload)
    assert (centre_id, campaign_id) == (1, 1)
    # The same answer in clear again; its day is the school year's first (the real one went).
    assert payload == PAYLOAD | {"submitted_on": "2025-09-01"}
    assert "published_answers" not in _columns("campaign")
    assert {"used", "token_hash", "reminder_token_hash"} <= _columns("invitation")
    flags = _rows("SELECT used, token_hash FROM invitation ORDER BY id")
    assert [bool(used) for used, _hash in flags] == [False] * 5
    # Fresh random hashes: the old links stay dead.
    hashes = {token_hash for _used, token_hash in flags}
    assert len(hashes) == 5
    assert not hashes & {f"{number:064x}" for number in range(1, 6)}
    assert "invitation_id" in _columns("response_draft")
    published = _rows("SELECT submitted_on FROM anonymous_response")
    assert sorted(str(day) for (day,) in published) == [
        "2024-09-01",
        "2025-09-01",
        "2025-09-01",
    ]


@contextmanager
def _upgraded_from_0005(backend: str, tmp_path: Path) -> Iterator[None]:
    """A database at 0005 holding old-style data, upgraded to head, inside its app context."""
    with fresh_database(backend, tmp_path) as url:
        app = make_app(url)
        with app.app_context():
            upgrade(directory=str(MIGRATIONS_DIR), revision="0005")
            assert "used" in _columns("invitation")
            _fill_old_schema()
            upgrade(directory=str(MIGRATIONS_DIR))
            try:
                yield
            finally:
                db.session.remove()
                db.engine.dispose()


def test_migration_0006_upgrade_carries_the_data_into_the_new_design(backend, tmp_path):
    with _upgraded_from_0005(backend, tmp_path):
        _check_upgraded()


def test_migration_0006_keeps_the_published_answers_values_and_comments(backend, tmp_path):
    # On SQLite a batch rename would rebuild anonymous_response, and dropping the old copy
    # with foreign keys on would cascade to every published value and comment.
    with _upgraded_from_0005(backend, tmp_path):
        assert _rows("SELECT count(*) FROM anonymous_response") == [(3,)]
        assert _rows("SELECT count(*) FROM anonymous_answer") == [(3,)]
        assert _rows("SELECT count(*) FROM anonymous_comment") == [(3,)]


def test_migration_0006_downgrade_puts_the_inbox_back_in_clear(backend, tmp_path):
    # On SQLite a batch drop of campaign.published_answers would rebuild campaign, and dropping
    # the old copy would cascade to every invitation and waiting answer.
    with _upgraded_from_0005(backend, tmp_path):
        db.session.remove()
        downgrade(directory=str(MIGRATIONS_DIR), revision="0005")
        assert _rows("SELECT count(*) FROM invitation") == [(5,)]
        _check_downgraded()
        db.session.remove()
        # And forward again: the round trip loses no waiting answer.
        upgrade(directory=str(MIGRATIONS_DIR))
        [row] = _rows("SELECT id, campaign_id, sealed FROM response_inbox")
        assert open_waiting(row, subkey("inbox")).texts == PAYLOAD["texts"]


def test_migration_0006_needs_the_key_it_sealed_with(backend, tmp_path):
    # The inbox is sealed under the key of the app that runs the migration: another key
    # cannot open it, so the key must be in place (KLANKBORD_ANONYMITY_KEY) before init-db.

    with fresh_database(backend, tmp_path) as url:
        app = make_app(url)
        with app.app_context():
            upgrade(directory=str(MIGRATIONS_DIR), revision="0005")
            _fill_old_schema()
            upgrade(directory=str(MIGRATIONS_DIR))
            [row] = _rows("SELECT id, campaign_id, sealed FROM response_inbox")
            db.session.remove()
            db.engine.dispose()
        other = make_app(url)
        with other.app_context():
            with pytest.raises(SealError):
                open_waiting(row, subkey("inbox"))
            db.engine.dispose()

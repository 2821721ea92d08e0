"""The migrations build the schema the models describe, and can be undone."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from survey import MIGRATIONS_DIR
from survey.extensions import db as database
from tests.conftest import fresh_database, make_app

DOMAIN_TABLES = {
    "centre",
    "school",
    "staff_user",
    "trajectory",
    "trajectory_coach",
    "trajectory_status_change",
    "questionnaire_version",
    "anonymous_response",
    "anonymity_key_check",
    "spent_link",
    "anonymous_answer",
    "anonymous_comment",
    "matrix_response",
    "matrix_answer",
    "matrix_comment",
    "campaign",
    "invitation",
    "response_draft",
    "response_inbox",
    "goal",
    "evaluation",
    "goal_result",
    "audit_entry",
    "password_token",
    "api_token",
}


def _tables() -> set[str]:
    return set(inspect(database.engine).get_table_names()) - {"alembic_version"}


def test_upgrade_downgrade_upgrade(backend, tmp_path):
    with fresh_database(backend, tmp_path) as url:
        app = make_app(url)
        with app.app_context():
            upgrade(directory=str(MIGRATIONS_DIR))
            assert _tables() == DOMAIN_TABLES
            downgrade(directory=str(MIGRATIONS_DIR), revision="base")
            assert _tables() == set()
            upgrade(directory=str(MIGRATIONS_DIR))
            assert _tables() == DOMAIN_TABLES
            database.session.remove()
            database.engine.dispose()


def test_models_match_the_migrations(app, db):
    """A model change without a migration fails here, before it fails in production."""
    context = MigrationContext.configure(db.session.connection())
    differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_anonymous_tables_cannot_hold_a_link_to_a_person(app, db):
    """The privacy rule is in the schema: no column that could point to a person."""
    inspector = inspect(db.engine)
    columns = {column["name"] for column in inspector.get_columns("anonymous_response")}
    assert columns == {
        "id",
        "questionnaire_version_id",
        "centre_id",
        "school_id",
        "school_year",
        "audience",
        "coach_id",
        "published_on",
    }
    # Answers in transit name their campaign at most (which the link itself carries).
    assert {c["name"] for c in inspector.get_columns("spent_link")} == {
        "nullifier",
        "campaign_id",
        "audience",
    }
    assert {c["name"] for c in inspector.get_columns("response_draft")} == {
        "id",
        "campaign_id",
        "sealed",
        "updated_on",
    }
    assert {c["name"] for c in inspector.get_columns("response_inbox")} == {
        "id",
        "campaign_id",
        "sealed",
    }
    # Nothing on an invitation changes when its link is answered, nor could match a token.
    assert not {c["name"] for c in inspector.get_columns("invitation")} & {
        "used",
        "token_hash",
        "reminder_token_hash",
    }
    for table in ("anonymous_answer", "anonymous_comment"):
        assert not {c["name"] for c in inspector.get_columns(table)} & {
            "trajectory_id",
            "invitation_id",
            "email",
            "ip",
            "user_agent",
            "created_at",
        }


def test_no_pupil_names_or_birth_dates_anywhere(app, db):
    inspector = inspect(db.engine)
    for table in inspector.get_table_names():
        for column in inspector.get_columns(table):
            name = column["name"].lower()
            for forbidden in ("birth", "first_name", "last_name", "surname", "pupil_name"):
                assert forbidden not in name, f"{table}.{column['name']}"
    trajectory_columns = {c["name"] for c in inspector.get_columns("trajectory")}
    assert "name" not in trajectory_columns

"""Klankbord: feedback and satisfaction surveys for Flemish leersteuncentra."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from survey.config import BASE_SETTINGS, load_secret_key, settings_from_env
from survey.privacy.keys import decode_key, load_anonymity_key

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def create_app(config_override: Mapping[str, Any] | None = None) -> Flask:
    """Build the application. No queries and no schema changes happen here.

    ``config_override`` wins over the environment; tests use it to pass their database URL
    and a throwaway secret key.
    """
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
    )
    app.config.update(BASE_SETTINGS)
    app.config.update(settings_from_env(Path(app.instance_path)))
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(PROJECT_ROOT / "translations")
    app.config.update(config_override or {})
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = load_secret_key(Path(app.instance_path))
    if not app.config.get("ANONYMITY_KEY"):
        app.config["ANONYMITY_KEY"] = load_anonymity_key(Path(app.instance_path))
    # A malformed key fails here, at start, not in a respondent's request.
    decode_key(app.config["ANONYMITY_KEY"])

    _init_extensions(app)
    _register_blueprints(app)
    _register_commands(app)

    from survey.web import register_web_helpers

    register_web_helpers(app)
    return app


def _init_extensions(app: Flask) -> None:
    from survey import models  # noqa: F401  (registers the tables on the metadata)
    from survey.extensions import babel, csrf, db, login_manager, migrate

    db.init_app(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context():
            _configure_sqlite(db.engine)
    # Batch mode lets the same migration files alter tables on SQLite, which lacks ALTER.
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    csrf.init_app(app)
    from survey.languages import babel_locale

    babel.init_app(app, locale_selector=babel_locale)
    login_manager.init_app(app)
    from survey.accounts import init_accounts

    init_accounts(app)


def _configure_sqlite(engine: Engine) -> None:
    """Make SQLite enforce foreign keys and honour transactions and savepoints.

    Python's sqlite3 module opens transactions lazily and breaks SAVEPOINT; letting
    SQLAlchemy emit BEGIN itself is the documented remedy.
    """

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        # Deleted rows (the anonymous inbox, drafts) are overwritten, not left in free pages.
        cursor.execute("PRAGMA secure_delete = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN")


def _register_blueprints(app: Flask) -> None:
    from survey.accounts.routes import bp as accounts_bp
    from survey.api.manage import bp as api_tokens_bp
    from survey.api.routes import bp as api_bp
    from survey.audit.routes import bp as audit_bp
    from survey.auth.routes import bp as auth_bp
    from survey.campaigns.routes import bp as campaigns_bp
    from survey.evaluation.routes import bp as evaluation_bp
    from survey.feedback.routes import bp as feedback_bp
    from survey.health.routes import bp as health_bp
    from survey.imports.routes import bp as imports_bp
    from survey.reports.routes import bp as reports_bp
    from survey.respond.routes import bp as respond_bp
    from survey.staff.routes import bp as staff_bp
    from survey.trajectories.manage import bp as manage_bp
    from survey.trajectories.routes import bp as trajectories_bp

    for blueprint in (
        accounts_bp,
        api_bp,
        api_tokens_bp,
        audit_bp,
        auth_bp,
        campaigns_bp,
        evaluation_bp,
        feedback_bp,
        health_bp,
        imports_bp,
        manage_bp,
        reports_bp,
        respond_bp,
        staff_bp,
        trajectories_bp,
    ):
        app.register_blueprint(blueprint)


def _register_commands(app: Flask) -> None:
    from survey.accounts.commands import COMMANDS as account_commands
    from survey.api.commands import api_tokens_group
    from survey.auth.commands import create_centre, create_school, create_user
    from survey.backup.commands import backup_command, restore_command
    from survey.campaigns.commands import campaigns_group, invite
    from survey.demo.commands import demo
    from survey.imports.commands import COMMANDS as import_commands
    from survey.privacy.commands import privacy_group
    from survey.questionnaire_versions.commands import init_db, questionnaires_group
    from survey.reports.commands import report_command
    from survey.retention.commands import daily_command, purge_command

    for command in (
        init_db,
        demo,
        create_centre,
        create_school,
        create_user,
        invite,
        campaigns_group,
        questionnaires_group,
        api_tokens_group,
        *account_commands,
        *import_commands,
        report_command,
        purge_command,
        daily_command,
        privacy_group,
        backup_command,
        restore_command,
    ):
        app.cli.add_command(command)

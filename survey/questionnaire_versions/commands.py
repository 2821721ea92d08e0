"""``klankbord init-db`` and ``klankbord questionnaires check|sync``."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup, with_appcontext
from flask_babel import gettext as _
from flask_migrate import upgrade

from questionnaires import builtin_paths, check_paths
from survey import MIGRATIONS_DIR
from survey.extensions import db
from survey.privacy.keys import ensure_check_stored, refuse_wrong_key_in_cli
from survey.questionnaire_versions.services import (
    ChangedVersionError,
    register_builtin_questionnaires,
)


def _register_or_exit() -> None:
    try:
        result = register_builtin_questionnaires()
    except ChangedVersionError as exc:
        db.session.rollback()
        click.echo(
            _(
                "Questionnaire %(name)s version %(version)d already has %(count)d responses "
                "and its file has changed. Give the file a new version number.",
                name=exc.questionnaire.id,
                version=exc.questionnaire.version,
                count=exc.responses,
            ),
            err=True,
        )
        sys.exit(1)
    db.session.commit()
    for label in result.added:
        click.echo(_("Questionnaire registered: %(label)s", label=label))
    for label in result.updated:
        click.echo(_("Questionnaire updated (no responses yet): %(label)s", label=label))


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Migrate the database to the newest schema and register the built-in questionnaires."""
    upgrade(directory=str(MIGRATIONS_DIR))
    refuse_wrong_key_in_cli()
    ensure_check_stored()
    _register_or_exit()
    click.echo(_("Database is up to date."))


# AppGroup runs its commands inside the app context, so their messages are translated.
questionnaires_group = AppGroup("questionnaires", help="Check and register questionnaire files.")


@questionnaires_group.command("check")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def check(paths: tuple[Path, ...]) -> None:
    """Validate questionnaire files (default: the built-in ones); exit 1 on any problem."""
    targets = list(paths) or builtin_paths()
    good, problems = check_paths(targets)
    for problem in problems:
        click.echo(str(problem), err=True)
    for questionnaire in good:
        click.echo(
            _(
                "OK %(name)s version %(version)d: %(items)d items, %(open)d open questions",
                name=questionnaire.id,
                version=questionnaire.version,
                items=len(questionnaire.items),
                open=len(questionnaire.open_questions),
            )
        )
    if problems:
        click.echo(_("%(count)d problem(s) found.", count=len(problems)), err=True)
        sys.exit(1)


@questionnaires_group.command("sync")
def sync() -> None:
    """Register the built-in questionnaires in the database."""
    _register_or_exit()

"""``klankbord backup --out FILE`` and ``klankbord restore FILE --yes``."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _
from sqlalchemy.engine import make_url

from survey.backup.services import BackupError, backup_database, restore_database
from survey.extensions import db


def _fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(1)


def _database_url() -> str:
    return current_app.config["SQLALCHEMY_DATABASE_URI"]


@click.command("backup")
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The backup file to write (replaced if it exists).",
)
@with_appcontext
def backup_command(out: Path) -> None:
    """Write a consistent copy of the database; safe while the app is serving."""
    try:
        backup_database(_database_url(), out)
    except BackupError as exc:
        _fail(str(exc))
    click.echo(_("Backup written to %(path)s.", path=out))


@click.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Confirm that the database may be overwritten.")
@with_appcontext
def restore_command(source: Path, yes: bool) -> None:
    """Replace everything in the configured database with a backup made by `backup`."""
    shown = make_url(_database_url()).render_as_string(hide_password=True)
    if not yes:
        _fail(
            _(
                "This replaces everything in %(database)s with the backup. "
                "Run it again with --yes to go ahead.",
                database=shown,
            )
        )
    # This process's own pooled connections must not hold locks the restore would wait for.
    db.session.remove()
    db.engine.dispose()
    try:
        restore_database(_database_url(), source)
    except BackupError as exc:
        _fail(str(exc))
    click.echo(_("%(database)s restored from %(path)s.", database=shown, path=source))

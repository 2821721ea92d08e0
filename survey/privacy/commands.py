"""``klankbord privacy rotate-key``: replace the anonymity key (README, Privacy)."""

from __future__ import annotations

import os

import click
from flask.cli import AppGroup
from flask_babel import gettext as _

from survey import clock
from survey.extensions import db
from survey.privacy.keys import decode_key, new_key, refuse_wrong_key_in_cli
from survey.privacy.rotation import RotationRefusedError, rotate_key

privacy_group = AppGroup("privacy", help="Manage the anonymity key.")


@privacy_group.command("rotate-key")
@click.option(
    "--new-key-file",
    type=click.Path(dir_okay=False),
    required=True,
    help="Where to write the new key (mode 0600); it must not exist yet.",
)
def rotate_key_command(new_key_file: str) -> None:
    """Re-seal waiting answers under a new key, written to a file for the servers' config."""
    refuse_wrong_key_in_cli()
    encoded = new_key()
    try:
        count = rotate_key(decode_key(encoded), clock.today())
    except RotationRefusedError as exc:
        db.session.rollback()
        raise click.ClickException(
            _(
                "%(count)d campaign(s) can still take answers, through links made under the "
                "current key. Close them first (klankbord campaigns close ID).",
                count=exc.unfinished,
            )
        ) from exc
    # Written before the commit: a committed rotation whose key was lost would lose every
    # waiting answer, while a key file left by a failed commit is only deleted.
    try:
        fd = os.open(new_key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        db.session.rollback()
        raise click.ClickException(_("%(path)s exists already.", path=new_key_file)) from exc
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(encoded)
    db.session.commit()
    click.echo(
        _(
            "%(count)d waiting answer(s) re-sealed. Set KLANKBORD_ANONYMITY_KEY to the key in "
            "%(path)s on every server before it serves again, and keep a copy apart from the "
            "database's backups.",
            count=count,
            path=new_key_file,
        )
    )

"""Account commands: ``klankbord send-password-link``."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _
from flask_babel import ngettext

from survey.accounts.services import SET_LINK_LIFETIME, LinkKind, MailError, send_password_link
from survey.auth.services import find_user_by_email
from survey.extensions import db


def _fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(1)


@click.command("send-password-link")
@click.option("--email", required=True, help="The account's e-mail address.")
@with_appcontext
def send_password_link_command(email: str) -> None:
    """E-mail a one-time link to choose a password (valid for 7 days)."""
    user = find_user_by_email(email)
    if user is None:
        _fail(_("No account with e-mail %(email)s.", email=email.strip()))
    if not user.is_enabled:
        _fail(_("The account %(email)s is disabled.", email=user.email))
    try:
        with db.session.begin_nested():
            send_password_link(user, LinkKind.SET)
    except MailError as exc:
        _fail(_("The mail server refused or could not be reached: %(error)s", error=str(exc)))
    db.session.commit()
    click.echo(
        ngettext(
            "A link to choose a password was sent to %(email)s; it works for %(num)d day.",
            "A link to choose a password was sent to %(email)s; it works for %(num)d days.",
            SET_LINK_LIFETIME.days,
            email=user.email,
        )
    )


COMMANDS: list[click.Command] = [send_password_link_command]

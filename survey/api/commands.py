"""``klankbord api-tokens create|list|revoke``."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup
from flask_babel import gettext as _
from sqlalchemy import select

from survey.api.services import NAME_LENGTH, create_token, revoke_token, tokens_of_centre
from survey.extensions import db
from survey.models import ApiToken, Centre

api_tokens_group = AppGroup("api-tokens", help="Make, list and revoke tokens of the JSON API.")


def _fail(message: str) -> None:
    db.session.rollback()
    click.echo(message, err=True)
    sys.exit(1)


def _centre(code: str) -> Centre:
    centre = db.session.scalar(select(Centre).where(Centre.code == code))
    if centre is None:
        _fail(_("No centre with code %(code)s. Create it with create-centre.", code=code))
    return centre


@api_tokens_group.command("create")
@click.option("--centre", "centre_code", required=True, help="The centre's code.")
@click.option("--name", required=True, help="What the token is for, e.g. 'Power BI'.")
def create(centre_code: str, name: str) -> None:
    """Make a token and print it once; only its hash is kept."""
    centre = _centre(centre_code)
    if not name.strip() or len(name.strip()) > NAME_LENGTH:
        _fail(_("A name has 1 to %(max)d characters.", max=NAME_LENGTH))
    token, secret = create_token(centre, name)
    db.session.commit()
    # The token alone on stdout, so that a script can capture it; the explanation on stderr.
    click.echo(secret)
    click.echo(
        _(
            "Token %(number)d (%(name)s) for %(centre)s. It is shown only now: "
            "Klankbord keeps no copy.",
            number=token.id,
            name=token.name,
            centre=centre.code,
        ),
        err=True,
    )


@api_tokens_group.command("list")
@click.option("--centre", "centre_code", required=True, help="The centre's code.")
def list_tokens(centre_code: str) -> None:
    """One line per token: number, name, made, last used, revoked."""
    centre = _centre(centre_code)
    for token in tokens_of_centre(centre.id):
        click.echo(
            "\t".join(
                (
                    str(token.id),
                    token.name,
                    token.created_at.date().isoformat(),
                    token.last_used_on.isoformat() if token.last_used_on else "-",
                    token.revoked_at.date().isoformat() if token.revoked_at else "-",
                )
            )
        )


@api_tokens_group.command("revoke")
@click.argument("token_id", type=int)
def revoke(token_id: int) -> None:
    """Revoke a token at once: programs using it get 401 from then on."""
    token = db.session.get(ApiToken, token_id)
    if token is None:
        _fail(_("No API token with number %(number)d.", number=token_id))
    if not revoke_token(token):
        click.echo(_("Token %(number)d was already revoked.", number=token_id))
        return
    db.session.commit()
    click.echo(_("Token %(number)d (%(name)s) is revoked.", number=token_id, name=token.name))

"""``klankbord demo``: load the demo centre (idempotent) and print its logins."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _
from sqlalchemy import exists, select

from survey import clock
from survey.demo.services import demo_parent_link, demo_password, find_demo_centre, load_demo
from survey.extensions import db
from survey.models import Centre


@click.command("demo")
@click.option(
    "--if-empty",
    is_flag=True,
    help="Only load the demo when the database holds no centre yet (used by make run).",
)
@with_appcontext
def demo(if_empty: bool) -> None:
    """Load the demo centre with 150 trajectories and two school years of answers."""
    has_centre = db.session.scalar(select(exists().select_from(Centre)))
    if if_empty and has_centre and find_demo_centre() is None:
        click.echo(_("The database already holds a centre; the demo centre is not loaded."))
        return
    password, source = demo_password(Path(current_app.instance_path))
    result = load_demo(password, source)
    db.session.commit()
    if result.created:
        click.echo(_("Demo centre loaded: 12 schools, 8 coaches, 150 trajectories."))
    else:
        click.echo(_("The demo centre was already loaded; nothing was added."))
    login = result.logins[0]
    login_url = current_app.config["BASE_URL"].rstrip("/") + "/login"
    click.echo(_("Log in at %(url)s as the quality coordinator:", url=login_url))
    click.echo(_("  e-mail:   %(email)s", email=login.email))
    if source == "env":
        click.echo(_("  password: the value of KLANKBORD_DEMO_PASSWORD"))
    else:
        click.echo(_("  password: %(password)s", password=login.password))
    click.echo(
        _(
            "Coaches: coach1@demo.klankbord.be to coach8@demo.klankbord.be; administrator: "
            "admin@demo.klankbord.be (same password)."
        )
    )
    link = demo_parent_link(clock.today())
    db.session.commit()
    click.echo(_("A parent's link to the feedbackmatrix of DEMO-0001 (works once):"))
    click.echo(f"  {link}")

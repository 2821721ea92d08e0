"""The ``klankbord`` console script: Flask's CLI group bound to the application factory."""

from __future__ import annotations

import click
from flask.cli import FlaskGroup

from survey import create_app


@click.group(cls=FlaskGroup, create_app=create_app, add_version_option=False)
def cli() -> None:
    """Klankbord: set up, load demo data, check questionnaires and run the server."""

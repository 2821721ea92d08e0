"""The ``klankbord`` console script: Flask's CLI group bound to the application factory."""

from __future__ import annotations

import copy
import functools
from typing import Any

import click
from flask.cli import FlaskGroup, ScriptInfo

from survey import create_app


def _refusing_a_wrong_key(command: click.Command) -> click.Command:
    """``command`` (Flask's ``run``), which first refuses a wrong anonymity key.

    Answers taken under another key would be sealed under it and their links' nullifiers
    would not match the stored ones: the development server must not start either.
    """
    from survey.extensions import db
    from survey.privacy.keys import refuse_wrong_key_in_cli

    serve = command.callback
    checked = copy.copy(command)

    @functools.wraps(serve)
    def callback(*args: Any, **kwargs: Any) -> Any:
        app = click.get_current_context().ensure_object(ScriptInfo).load_app()
        with app.app_context():
            try:
                refuse_wrong_key_in_cli()
            finally:
                db.session.remove()
        return serve(*args, **kwargs)

    checked.callback = callback
    return checked


class KlankbordGroup(FlaskGroup):
    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        if name == "run" and command is not None:
            return _refusing_a_wrong_key(command)
        return command


@click.group(cls=KlankbordGroup, create_app=create_app, add_version_option=False)
def cli() -> None:
    """Klankbord: set up, load demo data, check questionnaires and run the server."""

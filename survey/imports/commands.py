"""``klankbord import-trajectories FILE``: the same import as the staff page, for scripts."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _
from sqlalchemy import select

from survey import clock
from survey.extensions import db
from survey.imports.services import MAX_BYTES, Problem, import_trajectories
from survey.models import Centre


def _fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(1)


def format_problem(problem: Problem) -> str:
    if problem.line is None:
        return problem.message
    return _(
        "line %(line)d, column %(column)s: %(message)s",
        line=problem.line,
        column=problem.column,
        message=problem.message,
    )


def choose_centre(code: str | None) -> Centre:
    if code:
        centre = db.session.scalar(select(Centre).where(Centre.code == code.strip().lower()))
        if centre is None:
            _fail(_("No centre with code %(code)s. Create it with create-centre.", code=code))
        return centre
    centres = db.session.scalars(select(Centre).order_by(Centre.code).limit(11)).all()
    if not centres:
        _fail(_("There is no centre yet. Create one with create-centre."))
    if len(centres) > 1:
        # A wrong guess would put trajectories in another centre: make the operator say it.
        _fail(_("There are several centres: choose one with --centre."))
    return centres[0]


@click.command("import-trajectories")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--centre", "centre_code", default=None, help="The centre's code.")
@click.option("--dry-run", is_flag=True, help="Check the file and write nothing.")
@with_appcontext
def import_trajectories_command(file: Path, centre_code: str | None, dry_run: bool) -> None:
    """Import trajectories from a CSV or XLSX export; all rows or none."""
    centre = choose_centre(centre_code)
    with file.open("rb") as handle:
        data = handle.read(MAX_BYTES + 1)
    outcome = import_trajectories(centre, file.name, data, dry_run=dry_run, on=clock.today())
    for note in outcome.notes:
        click.echo(note)
    for problem in outcome.problems:
        click.echo(format_problem(problem))
    click.echo(
        _(
            "New: %(new)d, updated: %(updated)d, unchanged: %(unchanged)d.",
            new=len(outcome.created),
            updated=len(outcome.updated),
            unchanged=len(outcome.unchanged),
        )
    )
    if outcome.problems:
        _fail(
            _(
                "%(count)d problem(s) found. Nothing was imported.",
                count=len(outcome.problems),
            )
        )
    if dry_run:
        click.echo(_("Dry run: nothing was written."))
        return
    db.session.commit()
    click.echo(_("Import done."))


COMMANDS: list[click.Command] = [import_trajectories_command]

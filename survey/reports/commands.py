"""``klankbord report``: the council report as a file, for mailing to the council or Power BI."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _
from sqlalchemy import select

from survey.extensions import db
from survey.imports.commands import choose_centre
from survey.models import School
from survey.reports.exports import to_csv, to_xlsx
from survey.reports.render import render_report, report_pdf, report_stylesheet
from survey.reports.services import (
    ReportRefused,
    build_report,
    default_school_year,
    narrow,
    period_for,
    school_selection,
)


def _fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(1)


@click.command("report")
@click.option("--centre", "centre_code", default=None, help="The centre's code.")
@click.option("--school-year", default=None, help="E.g. 2025-2026 (default: the newest).")
@click.option(
    "--from",
    "start",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Trajectory figures from this day (YYYY-MM-DD).",
)
@click.option(
    "--to",
    "end",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Trajectory figures until this day (YYYY-MM-DD).",
)
@click.option(
    "--school",
    "institution_number",
    default=None,
    help="One school's report, by instellingsnummer.",
)
@click.option(
    "--audience", default=None, type=click.Choice(["parent", "pupil", "teacher", "school"])
)
@click.option("--format", "fmt", required=True, type=click.Choice(["pdf", "html", "xlsx", "csv"]))
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def report_command(
    centre_code: str | None,
    school_year: str | None,
    start,
    end,
    institution_number: str | None,
    audience: str | None,
    fmt: str,
    out: Path,
) -> None:
    """Write the council report for a centre and school year as PDF, HTML, XLSX or CSV."""
    centre = choose_centre(centre_code)
    year = school_year or default_school_year(centre)
    try:
        period = period_for(year, _day(start), _day(end))
    except ValueError:
        _fail(_("Not a valid period: give a school year like 2025-2026 and dates inside it."))
    report = build_report(centre, period)
    try:
        if institution_number:
            school = db.session.scalar(
                select(School).where(
                    School.centre_id == centre.id,
                    School.institution_number == institution_number.strip(),
                )
            )
            if school is None:
                _fail(_("No school with instellingsnummer %(number)s.", number=institution_number))
            report = school_selection(report, school.id)
        report = narrow(report, audience)
    except ReportRefused:
        _fail(
            _(
                "This selection counts fewer than %(k)d respondents, so it is not reported.",
                k=report.threshold,
            )
        )
    if fmt == "pdf":
        data = report_pdf(report)
    elif fmt == "xlsx":
        data = to_xlsx(report)
    elif fmt == "csv":
        data = to_csv(report)
    else:
        data = render_report(report, stylesheet=report_stylesheet()).encode("utf-8")
    out.write_bytes(data)
    click.echo(_("Report written to %(path)s (%(size)d bytes).", path=str(out), size=len(data)))


def _day(value) -> date | None:
    return value.date() if value is not None else None

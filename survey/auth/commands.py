"""Setup commands: ``klankbord create-centre``, ``create-school`` and ``create-user``."""

from __future__ import annotations

import secrets
import sys

import click
from email_validator import EmailNotValidError, validate_email
from flask.cli import with_appcontext
from flask_babel import gettext as _
from sqlalchemy import select

from survey.auth.services import find_user_by_email, normalise_email
from survey.extensions import db
from survey.models import Centre, Level, Role, School, StaffUser
from survey.passwords import MIN_PASSWORD_LENGTH


def _fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(1)


def _centre_or_exit(code: str) -> Centre:
    centre = db.session.scalar(select(Centre).where(Centre.code == code))
    if centre is None:
        _fail(_("No centre with code %(code)s. Create it with create-centre.", code=code))
    return centre


@click.command("create-centre")
@click.option("--code", required=True, help="Short code, e.g. lsc-noord.")
@click.option("--name", required=True, help="The centre's name.")
@with_appcontext
def create_centre(code: str, name: str) -> None:
    """Create a learning-support centre."""
    code = code.strip().lower()
    if not code or len(code) > 40 or not all(c.isalnum() or c == "-" for c in code):
        _fail(_("The centre code may hold only letters, digits and dashes (at most 40)."))
    if db.session.scalar(select(Centre).where(Centre.code == code)):
        _fail(_("A centre with code %(code)s already exists.", code=code))
    db.session.add(Centre(code=code, name=name.strip()))
    db.session.commit()
    click.echo(_("Centre created: %(code)s", code=code))


@click.command("create-school")
@click.option("--centre", "centre_code", required=True, help="The centre's code.")
@click.option("--number", required=True, help="The school's instellingsnummer.")
@click.option("--name", required=True, help="The school's name.")
@click.option(
    "--levels",
    default="lager",
    show_default=True,
    help="Comma-separated: " + ", ".join(level.value for level in Level),
)
@with_appcontext
def create_school(centre_code: str, number: str, name: str, levels: str) -> None:
    """Add a school to a centre."""
    centre = _centre_or_exit(centre_code)
    number = number.strip()
    if not number.isdigit() or not 5 <= len(number) <= 6:
        _fail(_("An instellingsnummer has 5 or 6 digits, got %(number)s.", number=number))
    chosen = [part.strip() for part in levels.split(",") if part.strip()]
    known = {level.value for level in Level}
    unknown = [part for part in chosen if part not in known]
    if unknown or not chosen:
        _fail(_("Unknown level(s): %(levels)s.", levels=", ".join(unknown) or "-"))
    exists = db.session.scalar(
        select(School).where(School.centre_id == centre.id, School.institution_number == number)
    )
    if exists:
        _fail(_("This centre already has a school with number %(number)s.", number=number))
    db.session.add(School(centre=centre, institution_number=number, name=name, levels=chosen))
    db.session.commit()
    click.echo(_("School created: %(name)s", name=name))


@click.command("create-user")
@click.option("--email", required=True)
@click.option("--role", required=True, type=click.Choice([role.value for role in Role]))
@click.option("--centre", "centre_code", required=True, help="The centre's code.")
@click.option("--name", default=None, help="Full name (default: the e-mail address).")
@click.option("--school", "school_number", default=None, help="Instellingsnummer (role school).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def create_user(
    email: str,
    role: str,
    centre_code: str,
    name: str | None,
    school_number: str | None,
    password_stdin: bool,
) -> None:
    """Create a staff account. Without --password-stdin a password is generated and shown."""
    try:
        email = normalise_email(validate_email(email, check_deliverability=False).normalized)
    except EmailNotValidError:
        _fail(_("This is not a valid e-mail address: %(email)s", email=email))
    if find_user_by_email(email):
        _fail(_("An account with e-mail %(email)s already exists.", email=email))
    centre = _centre_or_exit(centre_code)
    school = None
    if Role(role) is Role.SCHOOL:
        if not school_number:
            _fail(_("A school account needs --school with the instellingsnummer."))
        school = db.session.scalar(
            select(School).where(
                School.centre_id == centre.id, School.institution_number == school_number
            )
        )
        if school is None:
            _fail(_("This centre has no school with number %(number)s.", number=school_number))
    elif school_number:
        _fail(_("Only school accounts are linked to a school."))

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        generated = False
    else:
        password = secrets.token_urlsafe(12)
        generated = True
    if len(password) < MIN_PASSWORD_LENGTH:
        _fail(_("The password needs at least %(count)d characters.", count=MIN_PASSWORD_LENGTH))

    user = StaffUser(
        email=email, name=(name or email).strip(), role=Role(role), centre=centre, school=school
    )
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    click.echo(_("Account created: %(email)s (%(role)s)", email=email, role=role))
    if generated:
        click.echo(_("Password (shown once): %(password)s", password=password))

"""``klankbord invite`` and ``klankbord campaigns ...``."""

from __future__ import annotations

import smtplib
import sys
from datetime import date

import click
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from flask_babel import gettext as _
from sqlalchemy import select

from survey import clock
from survey.campaigns.delivery import letters_pdf, send_invitation_emails, send_reminders
from survey.campaigns.services import (
    MATRIX_ID,
    CampaignError,
    campaign_for_trajectory,
    close_campaign,
    close_expired_campaigns,
    create_campaign,
    issue_invitations,
)
from survey.extensions import db
from survey.languages import LANGUAGES
from survey.models import Audience, Campaign, Centre, School, Trajectory
from survey.privacy.publication import publish

ROLES = [audience.value for audience in Audience]


def _fail(message: str) -> None:
    db.session.rollback()
    click.echo(message, err=True)
    sys.exit(1)


def _trajectory(code: str, centre_code: str | None) -> Trajectory:
    statement = select(Trajectory).where(Trajectory.code == code)
    if centre_code:
        statement = statement.join(Centre).where(Centre.code == centre_code)
    found = db.session.scalars(statement).all()
    if not found:
        _fail(_("No trajectory with code %(code)s.", code=code))
    if len(found) > 1:
        _fail(_("Several centres use code %(code)s: add --centre.", code=code))
    return found[0]


@click.command("invite")
@click.option("--trajectory", "code", help="The trajectory's code: open or reuse its campaign.")
@click.option("--centre", "centre_code", help="The centre's code, if several use the same code.")
@click.option("--campaign", "campaign_id", type=int, help="An existing campaign's number.")
@click.option("--role", type=click.Choice(ROLES), help="Who answers.")
@click.option(
    "--questionnaire",
    "questionnaire_id",
    default=MATRIX_ID,
    show_default=True,
    help="With --trajectory: which questionnaire.",
)
@click.option("--count", default=1, show_default=True, type=click.IntRange(1, 5000))
@click.option("--language", default="nl", show_default=True, type=click.Choice(list(LANGUAGES)))
@click.option(
    "--letters",
    "letters_path",
    type=click.Path(dir_okay=False, writable=True),
    help="Also write one printable A4 letter per invitee (with QR code) to this PDF.",
)
@click.option(
    "--emails",
    "emails_file",
    type=click.File("r", encoding="utf-8"),
    help="A file with one e-mail address per line: one invitation each, sent at once.",
)
@with_appcontext
def invite(
    code: str | None,
    centre_code: str | None,
    campaign_id: int | None,
    role: str | None,
    questionnaire_id: str,
    count: int,
    language: str,
    letters_path: str | None,
    emails_file: object,
) -> None:
    """Create single-use invitation links and print one absolute URL per line.

    With --emails the links go out by e-mail and are not printed.
    """
    today = clock.today()
    if bool(code) == bool(campaign_id):
        _fail(_("Give either --trajectory CODE or --campaign NUMBER."))
    try:
        if code:
            if not role:
                _fail(_("--role is needed with --trajectory."))
            campaign = campaign_for_trajectory(
                _trajectory(code, centre_code), Audience(role), today, questionnaire_id
            )
        else:
            campaign = db.session.get(Campaign, campaign_id)
            if campaign is None:
                _fail(_("No campaign with number %(number)d.", number=campaign_id))
            if not role:
                if len(campaign.audiences) != 1:
                    _fail(_("This campaign asks several audiences: add --role."))
                role = campaign.audiences[0]
        emails = _read_addresses(emails_file) if emails_file else []
        issued = issue_invitations(
            campaign, Audience(role), count, today, language=language, emails=emails
        )
    except CampaignError as exc:
        _fail(str(exc))
    if letters_path:
        with open(letters_path, "wb") as handle:
            handle.write(letters_pdf(campaign, issued, language))
    if emails:
        try:
            sent = send_invitation_emails(campaign, issued)
        except (OSError, smtplib.SMTPException) as exc:
            _fail(_("The mail server refused or could not be reached: %(error)s", error=exc))
        db.session.commit()
        click.echo(_("%(count)d invitation(s) sent by e-mail.", count=sent))
        return
    db.session.commit()
    base_url = current_app.config["BASE_URL"]
    for invitation in issued:
        click.echo(invitation.url(base_url))
    if letters_path:
        click.echo(_("Letters written to %(path)s.", path=letters_path), err=True)


def _read_addresses(handle) -> list[str]:
    addresses = []
    for number, line in enumerate(handle, start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            addresses.append(validate_email(line, check_deliverability=False).normalized)
        except EmailNotValidError:
            _fail(
                _("Line %(line)d is not a valid e-mail address: %(text)s", line=number, text=line)
            )
    if not addresses:
        _fail(_("The file holds no e-mail addresses."))
    return addresses


campaigns_group = AppGroup("campaigns", help="Create and close campaigns (bevragingen).")


@campaigns_group.command("create")
@click.option("--centre", "centre_code", required=True)
@click.option("--questionnaire", "questionnaire_id", required=True)
@click.option("--audience", "audiences", multiple=True, required=True, type=click.Choice(ROLES))
@click.option("--school", "school_number", help="Instellingsnummer: a school campaign.")
@click.option("--opens", type=click.DateTime(["%Y-%m-%d"]), help="Default: today.")
@click.option("--closes", type=click.DateTime(["%Y-%m-%d"]), required=True)
def create(
    centre_code: str,
    questionnaire_id: str,
    audiences: tuple[str, ...],
    school_number: str | None,
    opens: object,
    closes: object,
) -> None:
    """Open a satisfaction campaign for one school or the whole centre."""
    centre = db.session.scalar(select(Centre).where(Centre.code == centre_code))
    if centre is None:
        _fail(_("No centre with code %(code)s. Create it with create-centre.", code=centre_code))
    school = None
    if school_number:
        school = db.session.scalar(
            select(School).where(
                School.centre_id == centre.id, School.institution_number == school_number
            )
        )
        if school is None:
            _fail(_("This centre has no school with number %(number)s.", number=school_number))
    opens_on: date = opens.date() if opens else clock.today()
    try:
        campaign = create_campaign(
            centre=centre,
            questionnaire_id=questionnaire_id,
            audiences=[Audience(a) for a in audiences],
            opens_on=opens_on,
            closes_on=closes.date(),
            school=school,
        )
    except CampaignError as exc:
        _fail(str(exc))
    db.session.commit()
    click.echo(
        _(
            "Campaign %(number)d is open until %(date)s.",
            number=campaign.id,
            date=campaign.closes_on.isoformat(),
        )
    )


@campaigns_group.command("close")
@click.argument("campaign_id", type=int)
def close(campaign_id: int) -> None:
    """Close a campaign now: drafts are deleted and waiting answers published."""
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        _fail(_("No campaign with number %(number)d.", number=campaign_id))
    close_campaign(campaign, clock.today())
    db.session.commit()
    click.echo(_("Campaign %(number)d is closed.", number=campaign_id))


@campaigns_group.command("remind")
@click.argument("campaign_id", type=int)
def remind(campaign_id: int) -> None:
    """Send one reminder to every address of the campaign (the same link), then erase them."""
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        _fail(_("No campaign with number %(number)d.", number=campaign_id))
    try:
        sent = send_reminders(campaign, clock.today())
    except (OSError, smtplib.SMTPException) as exc:
        _fail(_("The mail server refused or could not be reached: %(error)s", error=exc))
    db.session.commit()
    click.echo(_("%(count)d reminder(s) sent.", count=sent))


@campaigns_group.command("close-expired")
def close_expired() -> None:
    """Close every campaign past its closing date and publish what can be (see daily)."""
    today = clock.today()
    closed = close_expired_campaigns(today)
    publish(today, current_app.config["ANONYMITY_THRESHOLD"])
    db.session.commit()
    click.echo(_("%(count)d campaign(s) closed.", count=len(closed)))

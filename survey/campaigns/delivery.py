"""Getting links to people: printable A4 letters with a QR code, and e-mail through SMTP."""

from __future__ import annotations

import smtplib
from collections.abc import Sequence
from datetime import date
from email.message import EmailMessage
from email.utils import make_msgid

import segno
from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select, update

from survey.campaigns.services import (
    IssuedInvitation,
    link_url,
    questionnaire_of,
)
from survey.extensions import db
from survey.languages import BABEL_LOCALES, direction
from survey.models import Campaign, Invitation, QuestionnaireMode
from survey.privacy.tokens import open_sealed_link


def _letter_context(campaign: Campaign, language: str) -> dict[str, object]:
    questionnaire = questionnaire_of(campaign)
    text_language = language if language in questionnaire.languages else "nl"
    school = campaign.school_for_responses
    return {
        "language": language,
        "direction": direction(language),
        "title": questionnaire.title.get(text_language) or questionnaire.title["nl"],
        "school": school.name if school else campaign.centre.name,
        "centre": campaign.centre.name,
        "closes_on": campaign.closes_on,
        "anonymous": campaign.questionnaire_version.mode is QuestionnaireMode.ANONYMOUS,
        "threshold": current_app.config["ANONYMITY_THRESHOLD"],
    }


def render_letters(campaign: Campaign, issued: Sequence[IssuedInvitation], language: str):
    """One A4 page per invitee: QR code, the link, the closing date and two privacy lines.

    Returns WeasyPrint's laid-out document (``.pages``, ``.write_pdf()``).
    """
    from weasyprint import HTML  # imported here: it loads Pango, which only letters need

    base_url = current_app.config["BASE_URL"]
    pages = []
    for invitation in issued:
        url = invitation.url(base_url)
        qr = segno.make(url, error="m")
        pages.append({"url": url, "qr": qr.svg_data_uri(scale=6, border=2)})
    with force_locale(BABEL_LOCALES.get(language, language)):
        html = render_template(
            "letters/invitation.html", pages=pages, **_letter_context(campaign, language)
        )
    return HTML(string=html).render()


def letters_pdf(campaign: Campaign, issued: Sequence[IssuedInvitation], language: str) -> bytes:
    return render_letters(campaign, issued, language).write_pdf()


def _send(messages: list[EmailMessage]) -> None:
    config = current_app.config
    with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=30) as smtp:
        if config["SMTP_STARTTLS"]:
            smtp.starttls()
        if config["SMTP_USER"]:
            smtp.login(config["SMTP_USER"], config["SMTP_PASSWORD"] or "")
        for message in messages:
            smtp.send_message(message)


def _message(campaign: Campaign, address: str, url: str, language: str, reminder: bool):
    context = _letter_context(campaign, language) | {"url": url, "reminder": reminder}
    with force_locale(BABEL_LOCALES.get(language, language)):
        subject = (
            _("Reminder: %(title)s", title=context["title"]) if reminder else str(context["title"])
        )
        body = render_template("mail/invitation.txt", **context)
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = address
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="klankbord")
    message.set_content(body)
    return message


def send_invitation_emails(campaign: Campaign, issued: Sequence[IssuedInvitation]) -> int:
    """Mail each invitation that has an address. The address stays only for the reminder."""
    base_url = current_app.config["BASE_URL"]
    pending = [item for item in issued if item.invitation.email and not item.invitation.email_sent]
    messages = [
        _message(
            campaign,
            item.invitation.email,
            item.url(base_url),
            item.invitation.language,
            reminder=False,
        )
        for item in pending
    ]
    if messages:
        _send(messages)
    for item in pending:
        item.invitation.email_sent = True
    return len(pending)


def send_reminders(campaign: Campaign, today: date) -> int:
    """One reminder to every address of the campaign, then every address is erased.

    Everyone gets it, answered or not, with "if you already answered, thank you": choosing
    only the unanswered would write into each invitation whether its link was spent, which
    is the very link between invitations and answers the design avoids (docs/anonymity.md).
    The reminder carries the same link, kept sealed for this, so a started draft carries on
    and the link still works once.
    """
    if not campaign.accepts_answers(today):
        return 0
    invitations = db.session.scalars(
        select(Invitation).where(
            Invitation.campaign_id == campaign.id,
            Invitation.email.is_not(None),
            Invitation.sealed_link.is_not(None),
            Invitation.email_sent.is_(True),
            Invitation.reminder_sent.is_(False),
        )
    ).all()
    messages = [
        _message(
            campaign,
            invitation.email,
            link_url(open_sealed_link(invitation.sealed_link), invitation.language),
            invitation.language,
            reminder=True,
        )
        for invitation in invitations
    ]
    if messages:
        _send(messages)
    # One statement for all of them: the addresses go together, not link by link.
    db.session.execute(
        update(Invitation)
        .where(Invitation.id.in_([invitation.id for invitation in invitations]))
        .values(reminder_sent=True, email=None, sealed_link=None)
        .execution_options(synchronize_session=False)
    )
    db.session.expire_all()
    return len(invitations)

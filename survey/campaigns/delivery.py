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
from sqlalchemy import select

from survey.campaigns.services import (
    IssuedInvitation,
    hash_token,
    link_url,
    new_token,
    questionnaire_of,
)
from survey.extensions import db
from survey.models import Campaign, Invitation, QuestionnaireMode
from survey.respond.languages import BABEL_LOCALES, direction


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
    """One reminder to each address whose link is unused; then the address is erased.

    The first token was never stored, so the reminder carries a second link to the same
    invitation. Nothing here learns more than the invitation's own ``used`` flag.
    """
    if not campaign.accepts_answers(today):
        return 0
    invitations = db.session.scalars(
        select(Invitation).where(
            Invitation.campaign_id == campaign.id,
            Invitation.email.is_not(None),
            Invitation.email_sent.is_(True),
            Invitation.reminder_sent.is_(False),
            Invitation.used.is_(False),
        )
    ).all()
    messages = []
    for invitation in invitations:
        token = new_token()
        invitation.reminder_token_hash = hash_token(token)
        messages.append(
            _message(
                campaign,
                invitation.email,
                link_url(token, invitation.language),
                invitation.language,
                reminder=True,
            )
        )
    if messages:
        _send(messages)
    for invitation in invitations:
        invitation.reminder_sent = True
        invitation.email = None
    return len(invitations)

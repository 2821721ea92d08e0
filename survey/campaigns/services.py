"""Creating campaigns, opening feedbackmatrix rounds and issuing invitation links."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import or_, select, update

from questionnaires import Questionnaire
from survey.audit.services import record_links_made
from survey.extensions import db
from survey.models import (
    Audience,
    Campaign,
    CampaignScope,
    CampaignStatus,
    Centre,
    Invitation,
    QuestionnaireMode,
    QuestionnaireVersion,
    School,
    StaffUser,
    Trajectory,
)
from survey.privacy.drafts import delete_campaign_drafts
from survey.privacy.publication import PublicationOutcome, publish
from survey.privacy.tokens import new_link, seal_link
from survey.questionnaire_versions.services import current_version, questionnaire_for

MATRIX_ID = "feedbackmatrix"
DEFAULT_ROUND_DAYS = 28


class CampaignError(ValueError):
    """A campaign or invitation request that cannot be honoured; the message says why."""


@dataclass(frozen=True)
class IssuedInvitation:
    invitation: Invitation
    token: str

    @property
    def path(self) -> str:
        return f"/r/{self.token}"

    def url(self, base_url: str | None = None) -> str:
        return link_url(self.token, self.invitation.language, base_url)


def link_url(token: str, language: str | None, base_url: str | None = None) -> str:
    """The absolute link; it opens in the invitation's language when that is not Dutch."""
    base = (base_url or current_app.config["BASE_URL"]).rstrip("/")
    suffix = f"?lang={language}" if language and language != "nl" else ""
    return f"{base}/r/{token}{suffix}"


def questionnaire_of(campaign: Campaign) -> Questionnaire:
    version = campaign.questionnaire_version
    return questionnaire_for(version)


def _version_or_error(questionnaire_id: str) -> QuestionnaireVersion:
    version = current_version(questionnaire_id)
    if version is None:
        raise CampaignError(_("Unknown questionnaire: %(name)s.", name=questionnaire_id))
    return version


def create_campaign(
    *,
    centre: Centre,
    questionnaire_id: str,
    audiences: Sequence[Audience],
    opens_on: date,
    closes_on: date,
    trajectory: Trajectory | None = None,
    school: School | None = None,
    open_now: bool = True,
) -> Campaign:
    """A campaign for one trajectory, one school, or (neither given) the whole centre."""
    version = _version_or_error(questionnaire_id)
    questionnaire = questionnaire_for(version)
    unknown = [a.value for a in audiences if a.value not in questionnaire.audiences]
    if not audiences or unknown:
        raise CampaignError(
            _(
                "Questionnaire %(name)s is not for %(asked)s; it asks %(audiences)s.",
                name=questionnaire_id,
                asked=", ".join(unknown) or "-",
                audiences=", ".join(questionnaire.audiences),
            )
        )
    if closes_on < opens_on:
        raise CampaignError(_("The closing date lies before the opening date."))
    if trajectory is not None and school is not None:
        raise CampaignError(_("A campaign is for one trajectory or one school, not both."))
    if version.mode is QuestionnaireMode.OPEN and trajectory is None:
        raise CampaignError(_("The feedbackmatrix is asked per trajectory."))
    for owned in (trajectory, school):
        if owned is not None and owned.centre_id != centre.id:
            raise CampaignError(_("That trajectory or school belongs to another centre."))
    scope = (
        CampaignScope.TRAJECTORY
        if trajectory is not None
        else CampaignScope.SCHOOL
        if school is not None
        else CampaignScope.CENTRE
    )
    campaign = Campaign(
        centre=centre,
        questionnaire_version=version,
        scope=scope,
        trajectory=trajectory,
        school=school,
        audiences=[a.value for a in audiences],
        opens_on=opens_on,
        closes_on=closes_on,
        status=CampaignStatus.DRAFT,
    )
    if open_now:
        campaign.open()
    db.session.add(campaign)
    db.session.flush()
    return campaign


def campaign_for_trajectory(
    trajectory: Trajectory,
    audience: Audience,
    today: date,
    questionnaire_id: str = MATRIX_ID,
    days: int = DEFAULT_ROUND_DAYS,
) -> Campaign:
    """The open campaign of this questionnaire for the trajectory, or a new one from today.

    A feedbackmatrix round asks every perspective; a satisfaction survey handed out through a
    trajectory asks only the audience requested (its answers will not remember the trajectory).
    """
    version = _version_or_error(questionnaire_id)
    candidates = db.session.scalars(
        select(Campaign)
        .where(
            Campaign.trajectory_id == trajectory.id,
            Campaign.questionnaire_version_id == version.id,
            Campaign.status == CampaignStatus.OPEN,
        )
        .order_by(Campaign.id.desc())
    )
    for campaign in candidates:
        if campaign.accepts_answers(today) and audience.value in campaign.audiences:
            return campaign
    questionnaire = questionnaire_for(version)
    if audience.value not in questionnaire.audiences:
        raise CampaignError(
            _(
                "Questionnaire %(name)s is not for %(asked)s; it asks %(audiences)s.",
                name=questionnaire_id,
                asked=audience.value,
                audiences=", ".join(questionnaire.audiences),
            )
        )
    audiences = (
        [Audience(a) for a in questionnaire.audiences]
        if version.mode is QuestionnaireMode.OPEN
        else [audience]
    )
    return create_campaign(
        centre=trajectory.centre,
        questionnaire_id=questionnaire_id,
        audiences=audiences,
        opens_on=today,
        closes_on=today + timedelta(days=days),
        trajectory=trajectory,
    )


def issue_invitations(
    campaign: Campaign,
    audience: Audience,
    count: int,
    today: date,
    language: str = "nl",
    emails: Sequence[str] = (),
    issued_by: StaffUser | None = None,
) -> list[IssuedInvitation]:
    """Create ``count`` single-use links (or one per e-mail address) and return their tokens.

    The token exists only in the returned objects, and for an e-mailed link sealed beside its
    address until the reminder (survey.privacy.tokens). Who made how many links is audited:
    a staff member who answers k-1 links of their own into a group could learn the k-th
    answer from the batch it completes (docs/anonymity.md, "Remaining insider risk").
    """
    if audience.value not in campaign.audiences:
        raise CampaignError(_("This campaign does not ask %(audience)s.", audience=audience.value))
    if campaign.status is CampaignStatus.CLOSED:
        raise CampaignError(_("This campaign is closed."))
    addresses = list(emails) or [None] * count
    if not 1 <= len(addresses) <= 5000:
        raise CampaignError(_("Between 1 and 5000 invitations at a time."))
    issued = []
    for address in addresses:
        token = new_link(campaign.id, audience)
        invitation = Invitation(
            campaign=campaign,
            audience=audience,
            language=language,
            email=address,
            sealed_link=seal_link(token) if address else None,
            created_on=today,
        )
        db.session.add(invitation)
        issued.append(IssuedInvitation(invitation, token))
    db.session.flush()
    record_links_made(campaign, audience, len(issued), issued_by)
    return issued


def erase_addresses(campaign: Campaign) -> None:
    """Erase every address of the campaign, and its sealed links, in one statement.

    In bulk, never one link at a time: erasing an address when its link is used would write
    the moment of use into the invitation's row.
    """
    db.session.execute(
        update(Invitation)
        .where(Invitation.campaign_id == campaign.id)
        .where(or_(Invitation.email.is_not(None), Invitation.sealed_link.is_not(None)))
        .values(email=None, sealed_link=None)
    )


def _end_answering(campaign: Campaign, on: date) -> None:
    """Close the campaign (if still open), throw away its drafts and erase its addresses."""
    if campaign.status is not CampaignStatus.CLOSED:
        campaign.close(on=on)
    delete_campaign_drafts(campaign.id)
    # No more mail goes out for a closed campaign, so no address is kept for it.
    erase_addresses(campaign)


def close_campaign(campaign: Campaign, today: date) -> PublicationOutcome:
    """Close answering, throw away unfinished drafts and publish what can now be published.

    Answers of this campaign that cannot reach k with their own attributes are generalised
    (survey.privacy.publication), or keep waiting: a smaller batch is never published.
    """
    _end_answering(campaign, today)
    db.session.flush()
    return publish(today, current_app.config["ANONYMITY_THRESHOLD"])


def close_expired_campaigns(today: date) -> list[Campaign]:
    """Close every campaign past its closing day; the caller publishes (``klankbord daily``)."""
    expired = db.session.scalars(
        select(Campaign).where(Campaign.status == CampaignStatus.OPEN, Campaign.closes_on < today)
    ).all()
    for campaign in expired:
        _end_answering(campaign, campaign.closes_on)
    return list(expired)

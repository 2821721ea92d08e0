"""Creating campaigns, opening feedbackmatrix rounds and issuing invitation links."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import bindparam, delete, or_, select, update
from sqlalchemy.orm import joinedload

from questionnaires import Questionnaire
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
    ResponseDraft,
    School,
    Trajectory,
)
from survey.questionnaire_versions.services import current_version, questionnaire_for

MATRIX_ID = "feedbackmatrix"
DEFAULT_ROUND_DAYS = 28
# 32 bytes = 256 random bits; the issue asks for at least 128.
TOKEN_BYTES = 32


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


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


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
) -> list[IssuedInvitation]:
    """Create ``count`` single-use links (or one per e-mail address) and return their tokens.

    The token exists only in the returned objects: the database keeps its SHA-256.
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
        token = new_token()
        invitation = Invitation(
            campaign=campaign,
            token_hash=hash_token(token),
            audience=audience,
            language=language,
            email=address,
            created_on=today,
        )
        db.session.add(invitation)
        issued.append(IssuedInvitation(invitation, token))
    db.session.flush()
    return issued


def _token_matches(token: str):
    hashed = hash_token(token)
    return or_(Invitation.token_hash == hashed, Invitation.reminder_token_hash == hashed)


# Built once: every respondent request runs it, and constructing the statement with its
# loader options (and its cache key) each time cost more than the database lookup itself.
# Everything the respondent's pages need comes in this one round trip: the link, its
# campaign and questionnaire version, and a saved draft if there is one.
_FIND_INVITATION = (
    select(Invitation)
    .where(
        or_(
            Invitation.token_hash == bindparam("token_hash"),
            Invitation.reminder_token_hash == bindparam("token_hash"),
        )
    )
    .options(
        joinedload(Invitation.campaign, innerjoin=True).joinedload(
            Campaign.questionnaire_version, innerjoin=True
        ),
        joinedload(Invitation.draft),
    )
)


def _may_be_token(token: str) -> bool:
    # Tokens are URL-safe base64; anything else cannot be ours and needs no query.
    return bool(token) and len(token) <= 100


def find_invitation(token: str) -> Invitation | None:
    if not _may_be_token(token):
        return None
    return db.session.scalar(_FIND_INVITATION, {"token_hash": hash_token(token)})


def invitation_used(token: str) -> bool | None:
    """Whether the link has been answered; ``None`` when no invitation has it.

    One column, no joins: the thank-you page needs nothing more.
    """
    if not _may_be_token(token):
        return None
    return db.session.scalar(select(Invitation.used).where(_token_matches(token)))


def close_campaign(campaign: Campaign, today: date) -> None:
    """Close answering, throw away unfinished drafts and publish what waits in the inbox."""
    from survey.respond.services import publish_inbox

    if campaign.status is not CampaignStatus.CLOSED:
        campaign.close(on=today)
    invitation_ids = select(Invitation.id).where(Invitation.campaign_id == campaign.id)
    db.session.execute(delete(ResponseDraft).where(ResponseDraft.invitation_id.in_(invitation_ids)))
    # No more mail goes out for a closed campaign, so no address is kept for it.
    db.session.execute(
        update(Invitation).where(Invitation.campaign_id == campaign.id).values(email=None)
    )
    publish_inbox(minimum=0, campaign=campaign)


def close_expired_campaigns(today: date) -> list[Campaign]:
    expired = db.session.scalars(
        select(Campaign).where(Campaign.status == CampaignStatus.OPEN, Campaign.closes_on < today)
    ).all()
    for campaign in expired:
        close_campaign(campaign, today=campaign.closes_on)
    return list(expired)

"""Coordinators' campaign pages: open a school or centre campaign, hand out links, close it."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from survey import clock
from survey.auth.access import roles_required
from survey.campaigns.delivery import letters_pdf
from survey.campaigns.forms import CampaignForm, CloseForm, InviteForm
from survey.campaigns.services import (
    CampaignError,
    close_campaign,
    create_campaign,
    issue_invitations,
    questionnaire_of,
)
from survey.extensions import db
from survey.labels import label
from survey.models import (
    Audience,
    Campaign,
    Invitation,
    QuestionnaireMode,
    QuestionnaireVersion,
    Role,
    School,
)
from survey.privacy.spending import spent_counts
from survey.web import pdf_download

bp = Blueprint("campaigns", __name__, url_prefix="/campaigns")
STAFF = (Role.COORDINATOR, Role.ADMIN)


def _campaign_or_404(campaign_id: int) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None or campaign.centre_id != current_user.centre_id:
        abort(404)
    return campaign


def _anonymous_versions() -> list[QuestionnaireVersion]:
    """The newest version of each satisfaction questionnaire."""
    newest = (
        select(QuestionnaireVersion.questionnaire_id, func.max(QuestionnaireVersion.version))
        .where(QuestionnaireVersion.mode == QuestionnaireMode.ANONYMOUS)
        .group_by(QuestionnaireVersion.questionnaire_id)
    )
    pairs = set(db.session.execute(newest).all())
    versions = db.session.scalars(
        select(QuestionnaireVersion).order_by(QuestionnaireVersion.questionnaire_id)
    )
    return [v for v in versions if (v.questionnaire_id, v.version) in pairs]


def _fill_choices(form: CampaignForm) -> None:
    versions = _anonymous_versions()
    form.questionnaire.choices = [
        SelectChoice(v.questionnaire_id, v.definition["title"]["nl"]) for v in versions
    ]
    audiences = {a for v in versions for a in v.definition["audiences"]}
    form.audience.choices = [
        SelectChoice(a.value, label(a)) for a in Audience if a.value in audiences
    ]
    schools = db.session.scalars(
        select(School).where(School.centre_id == current_user.centre_id).order_by(School.name)
    )
    form.school.choices = [SelectChoice("", _("The whole centre"))] + [
        SelectChoice(str(school.id), school.name) for school in schools
    ]


@bp.route("/", methods=["GET", "POST"])
@roles_required(*STAFF)
def index() -> str | Response:
    form = CampaignForm()
    _fill_choices(form)
    if request.method == "GET":
        form.opens_on.data = form.opens_on.data or clock.today()
    error = None
    if form.validate_on_submit():
        school = None
        if form.school.data:
            school = db.session.get(School, int(form.school.data))
        try:
            campaign = create_campaign(
                centre=current_user.centre,
                questionnaire_id=form.questionnaire.data,
                audiences=[Audience(form.audience.data)],
                opens_on=form.opens_on.data,
                closes_on=form.closes_on.data,
                school=school,
            )
        except CampaignError as exc:
            error = str(exc)
        else:
            db.session.commit()
            return redirect(url_for("campaigns.detail", campaign_id=campaign.id))
    campaigns = db.session.scalars(
        select(Campaign)
        .where(Campaign.centre_id == current_user.centre_id)
        .order_by(Campaign.id.desc())
        .limit(200)
    ).all()
    return render_template(
        "campaigns/index.html", form=form, campaigns=campaigns, error=error, today=clock.today()
    )


def _usage(campaign: Campaign) -> tuple[int, int]:
    """Links made, and answers: published ones for an anonymous campaign (never live)."""
    invited = db.session.scalar(
        select(func.count()).select_from(Invitation).where(Invitation.campaign_id == campaign.id)
    )
    if campaign.questionnaire_version.mode is QuestionnaireMode.ANONYMOUS:
        return invited or 0, campaign.published_answers
    # Feedbackmatrix answers are open by design: their links may be counted as they are spent.
    return invited or 0, spent_counts([campaign.id]).get(campaign.id, 0)


@bp.route("/<int:campaign_id>", methods=["GET", "POST"])
@roles_required(*STAFF)
def detail(campaign_id: int) -> str | Response:
    campaign = _campaign_or_404(campaign_id)
    form = InviteForm()
    links = None
    error = None
    if form.validate_on_submit():
        audience = Audience(campaign.audiences[0])
        try:
            issued = issue_invitations(
                campaign,
                audience,
                form.count.data,
                clock.today(),
                language=form.language.data,
                issued_by=current_user,
            )
        except CampaignError as exc:
            error = str(exc)
        else:
            if form.output.data == "letters":
                pdf = letters_pdf(campaign, issued, form.language.data)
                db.session.commit()
                return pdf_download(pdf, f"brieven-{campaign.id}.pdf")
            db.session.commit()
            links = [item.url() for item in issued]
    invited, answered = _usage(campaign)
    return render_template(
        "campaigns/detail.html",
        campaign=campaign,
        questionnaire=questionnaire_of(campaign),
        form=form,
        close_form=CloseForm(),
        links=links,
        error=error,
        audience_labels=[label(Audience(a)) for a in campaign.audiences],
        invited=invited,
        answered=answered,
        anonymous=campaign.questionnaire_version.mode is QuestionnaireMode.ANONYMOUS,
        threshold=current_app.config["ANONYMITY_THRESHOLD"],
        today=clock.today(),
    )


@bp.route("/<int:campaign_id>/close", methods=["POST"])
@roles_required(*STAFF)
def close(campaign_id: int) -> Response:
    campaign = _campaign_or_404(campaign_id)
    if CloseForm().validate_on_submit():
        close_campaign(campaign, clock.today())
        db.session.commit()
    return redirect(url_for("campaigns.detail", campaign_id=campaign.id))

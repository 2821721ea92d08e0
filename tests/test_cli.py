"""The setup commands: clear messages, nothing half-written."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from survey.models import Role, StaffUser
from tests.conftest import login


def test_create_centre_school_and_user_then_log_in(runner, client, db):
    assert (
        runner.invoke(args=["create-centre", "--code", "lsc-west", "--name", "LSC West"]).exit_code
        == 0
    )
    result = runner.invoke(
        args=[
            "create-school",
            "--centre",
            "lsc-west",
            "--number",
            "123456",
            "--name",
            "VBS De Linde",
            "--levels",
            "kleuter,lager",
        ]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        args=[
            "create-user",
            "--email",
            "Kwal@LSC-West.be",
            "--role",
            "coordinator",
            "--centre",
            "lsc-west",
            "--password-stdin",
        ],
        input="een-lang-genoeg-wachtwoord\n",
    )
    assert result.exit_code == 0, result.output
    assert "Account aangemaakt: kwal@lsc-west.be" in result.output
    response = login(client, "kwal@lsc-west.be", "een-lang-genoeg-wachtwoord", follow=True)
    assert "LSC West" in response.get_data(as_text=True)


def test_create_user_without_stdin_shows_a_generated_password_once(runner, make, db):
    make.centre(code="lsc-oost")
    result = runner.invoke(
        args=["create-user", "--email", "coach@oost.be", "--role", "coach", "--centre", "lsc-oost"]
    )
    assert result.exit_code == 0
    password = result.output.split("Wachtwoord (wordt één keer getoond): ")[1].strip()
    user = db.session.scalar(select(StaffUser).where(StaffUser.email == "coach@oost.be"))
    assert user.role is Role.COACH
    assert user.check_password(password)


def test_create_user_errors_are_clear_and_write_nothing(runner, make, db):
    make.centre(code="lsc-zuid")
    cases = [
        (["--email", "geen-adres", "--role", "coach", "--centre", "lsc-zuid"], "geen geldig"),
        (["--email", "a@b.be", "--role", "coach", "--centre", "bestaat-niet"], "geen centrum"),
        (["--email", "a@b.be", "--role", "school", "--centre", "lsc-zuid"], "--school"),
    ]
    for args, message in cases:
        result = runner.invoke(args=["create-user", *args, "--password-stdin"], input="x" * 20)
        assert result.exit_code == 1
        assert message in result.output
    short = runner.invoke(
        args=[
            "create-user",
            "--email",
            "a@b.be",
            "--role",
            "coach",
            "--centre",
            "lsc-zuid",
            "--password-stdin",
        ],
        input="kort\n",
    )
    assert short.exit_code == 1
    assert "minstens 12" in short.output
    assert db.session.scalar(select(StaffUser).where(StaffUser.email == "a@b.be")) is None


def test_duplicate_email_is_refused(runner, make, db):
    centre = make.centre(code="lsc-noord")
    make.user(centre, email="dubbel@noord.be")
    result = runner.invoke(
        args=[
            "create-user",
            "--email",
            "DUBBEL@noord.be",
            "--role",
            "coach",
            "--centre",
            "lsc-noord",
            "--password-stdin",
        ],
        input="een-lang-genoeg-wachtwoord\n",
    )
    assert result.exit_code == 1
    assert "bestaat al" in result.output


def test_publish_responses_is_gone(runner, db):
    # It could publish fewer than k answers (--all). Publication now happens only in batches
    # of at least k, from `klankbord daily` and when a campaign closes.
    result = runner.invoke(args=["publish-responses", "--all"])
    assert result.exit_code == 2
    assert "No such command" in result.output


def _expired_campaign_with_answers(make, count: int):
    from survey.campaigns.services import questionnaire_of
    from survey.models import Audience
    from survey.privacy.inbox import deposit

    campaign = make.school_campaign(
        make.school(make.centre()), opens_on=date(2026, 1, 5), closes_on=date(2026, 3, 1)
    )
    questionnaire = questionnaire_of(campaign)
    for _ in range(count):
        values = {questionnaire.items[0].id: 3}
        deposit(campaign, questionnaire, Audience.PARENT, values, {}, date(2026, 2, 2))
    return campaign


def test_daily_closes_expired_campaigns_publishes_and_purges(runner, make, db, today):
    from survey.models import AnonymousResponse, CampaignStatus, PasswordToken
    from survey.models.base import utcnow
    from survey.privacy.models import ResponseInbox

    campaign = _expired_campaign_with_answers(make, 5)
    user = make.user(campaign.centre)
    db.session.add(
        PasswordToken(user=user, token_hash="0" * 64, expires_at=utcnow() - timedelta(days=1))
    )
    db.session.commit()

    result = runner.invoke(args=["daily"])

    assert result.exit_code == 0, result.output
    assert "1 bevraging(en) afgesloten." in result.output
    assert (
        "5 antwoord(en) gepubliceerd in groepen van minstens 5 (0 met een ruimere school of "
        "leerondersteuner); 0 wachten nog." in result.output
    )
    assert "Verwijderd:" in result.output  # and then it purged
    db.session.expire_all()
    assert campaign.status is CampaignStatus.CLOSED
    assert campaign.closed_on == date(2026, 3, 1)
    assert campaign.published_answers == 5
    assert db.session.scalar(select(func.count()).select_from(ResponseInbox)) == 0
    published = db.session.scalars(select(AnonymousResponse.published_on)).all()
    assert published == [today] * 5
    assert db.session.scalar(select(func.count()).select_from(PasswordToken)) == 0


def test_close_expired_publishes_but_never_below_k(runner, make, db, today):
    from survey.models import AnonymousResponse, CampaignStatus
    from survey.privacy.models import ResponseInbox

    enough = _expired_campaign_with_answers(make, 5)
    too_few = _expired_campaign_with_answers(make, 4)  # another centre: nothing to join
    db.session.commit()
    result = runner.invoke(args=["campaigns", "close-expired"])
    assert result.exit_code == 0, result.output
    assert "2 bevraging(en) afgesloten." in result.output
    db.session.expire_all()
    assert enough.status is too_few.status is CampaignStatus.CLOSED
    assert enough.published_answers == 5
    # Four, even for the whole centre: they keep waiting, sealed; nothing of them is published.
    assert too_few.published_answers == 0
    centres = db.session.scalars(select(AnonymousResponse.centre_id)).all()
    assert centres == [enough.centre_id] * 5
    waiting = db.session.scalars(select(ResponseInbox.campaign_id)).all()
    assert waiting == [too_few.id] * 4

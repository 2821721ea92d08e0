"""Coordinators open school and centre campaigns and hand out links or letters."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from survey.models import AnonymousResponse, Campaign, CampaignScope, Invitation, Role
from survey.privacy.models import ResponseInbox
from survey.privacy.publication import publish
from tests.conftest import TODAY, csrf_in, csrf_token, login

pytestmark = pytest.mark.usefixtures("today")


@pytest.fixture
def centre_setup(make):
    centre = make.centre(name="LSC Campagne")
    school = make.school(centre, name="VBS Het Anker")
    return {
        "centre": centre,
        "school": school,
        "coordinator": make.user(centre, Role.COORDINATOR),
        "coach": make.user(centre, Role.COACH),
        "stranger": make.user(make.centre(), Role.COORDINATOR),
    }


def _create(client, school_id="", closes="2026-06-30"):
    token = csrf_token(client, "/campaigns/")
    return client.post(
        "/campaigns/",
        data={
            "csrf_token": token,
            "questionnaire": "tevredenheid-ouders",
            "audience": "parent",
            "school": str(school_id),
            "opens_on": "2026-03-10",
            "closes_on": closes,
        },
    )


def test_coordinator_opens_a_school_campaign_and_gets_links_and_letters(client, db, centre_setup):
    login(client, centre_setup["coordinator"].email)
    response = _create(client, centre_setup["school"].id)
    assert response.status_code == 302
    campaign = db.session.scalar(select(Campaign))
    assert campaign.scope is CampaignScope.SCHOOL
    assert campaign.school_id == centre_setup["school"].id
    detail = f"/campaigns/{campaign.id}"
    token = csrf_token(client, detail)
    page = client.post(
        detail, data={"csrf_token": token, "count": "3", "language": "nl", "output": "links"}
    ).get_data(as_text=True)
    links = re.findall(r"<code>(http[^<]+/r/[^<]+)</code>", page)
    assert len(links) == 3
    assert client.get(links[0].split("5000", 1)[1]).status_code == 200
    letters = client.post(
        detail, data={"csrf_token": token, "count": "2", "language": "ar", "output": "letters"}
    )
    assert letters.mimetype == "application/pdf"
    assert letters.data.startswith(b"%PDF")
    assert db.session.query(Invitation).count() == 5


def _links(client, campaign, count: int) -> list[str]:
    detail = f"/campaigns/{campaign.id}"
    page = client.post(
        detail,
        data={
            "csrf_token": csrf_token(client, detail),
            "count": str(count),
            "language": "nl",
            "output": "links",
        },
    ).get_data(as_text=True)
    return [
        link.split("5000", 1)[1] for link in re.findall(r"<code>(http[^<]+/r/[^<]+)</code>", page)
    ]


def _answer(app, path: str) -> None:
    """A respondent in a browser of their own answers every statement of a one-page form."""
    browser = app.test_client()
    page = browser.get(path).get_data(as_text=True)
    names = set(re.findall(r'name="(item-[^"]+)"', page))
    answered = browser.post(
        path, data=dict.fromkeys(names, "3") | {"csrf_token": csrf_in(page), "page": "0"}
    )
    assert answered.headers["Location"].endswith("/thanks")


def _answered(client, campaign) -> int:
    page = client.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    return int(re.search(r"<dt>Beantwoord</dt><dd>(\d+)", page).group(1))


def test_the_answered_count_moves_only_with_publication(app, client, db, centre_setup):
    # A count that moved with each answer would tell the coordinator when each one arrived
    # (and, with the links they handed out themselves, whose): only published answers count.
    login(client, centre_setup["coordinator"].email)
    _create(client, centre_setup["school"].id)
    campaign = db.session.scalar(select(Campaign))
    links = _links(client, campaign, 7)
    for path in links[:4]:
        _answer(app, path)
    page = client.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert "Anonieme antwoorden tellen pas mee zodra ze gepubliceerd zijn" in page
    assert _answered(client, campaign) == 0
    assert publish(TODAY, app.config["ANONYMITY_THRESHOLD"]).published == 0  # 4 < k
    db.session.commit()
    assert _answered(client, campaign) == 0
    _answer(app, links[4])
    assert _answered(client, campaign) == 0  # the fifth answer alone publishes nothing
    assert publish(TODAY, app.config["ANONYMITY_THRESHOLD"]).published == 5
    db.session.commit()
    assert _answered(client, campaign) == 5
    _answer(app, links[5])
    assert _answered(client, campaign) == 5


def test_bad_dates_are_explained_and_kept(client, db, centre_setup):
    login(client, centre_setup["coordinator"].email)
    response = _create(client, closes="2026-01-01")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "De einddatum ligt voor de begindatum." in page
    assert 'value="2026-01-01"' in page
    assert db.session.scalar(select(Campaign)) is None


def test_closing_from_the_page(client, db, centre_setup):
    login(client, centre_setup["coordinator"].email)
    _create(client)
    campaign = db.session.scalar(select(Campaign))
    token = csrf_token(client, f"/campaigns/{campaign.id}")
    client.post(f"/campaigns/{campaign.id}/close", data={"csrf_token": token})
    db.session.refresh(campaign)
    assert campaign.closed_on == TODAY
    assert "Afgesloten op" in client.get(f"/campaigns/{campaign.id}").get_data(as_text=True)


def test_closing_from_the_page_publishes_what_reaches_k(app, client, db, centre_setup):
    login(client, centre_setup["coordinator"].email)
    _create(client, centre_setup["school"].id)
    campaign = db.session.scalar(select(Campaign))
    links = _links(client, campaign, 6)
    for path in links:
        _answer(app, path)
    assert _answered(client, campaign) == 0
    token = csrf_token(client, f"/campaigns/{campaign.id}")
    client.post(f"/campaigns/{campaign.id}/close", data={"csrf_token": token})
    db.session.expire_all()
    # All six, with identical attributes: one batch, published on the closing day.
    assert _answered(client, campaign) == 6
    assert db.session.scalar(select(func.count()).select_from(ResponseInbox)) == 0
    published = db.session.scalars(select(AnonymousResponse.published_on)).all()
    assert published == [TODAY] * 6


def test_coaches_and_other_centres_cannot_reach_campaigns(app, client, db, centre_setup):
    login(client, centre_setup["coordinator"].email)
    _create(client)
    campaign = db.session.scalar(select(Campaign))
    coach = app.test_client()
    login(coach, centre_setup["coach"].email)
    assert coach.get("/campaigns/").status_code == 403
    stranger = app.test_client()
    login(stranger, centre_setup["stranger"].email)
    assert stranger.get(f"/campaigns/{campaign.id}").status_code == 404
    assert stranger.post(f"/campaigns/{campaign.id}/close").status_code in (400, 404)

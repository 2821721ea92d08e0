"""Guessing respondent links is throttled per client address; answering is never counted."""

from __future__ import annotations

import secrets

import pytest
from flask_babel import force_locale, gettext

from survey.campaigns.services import campaign_for_trajectory, issue_invitations
from survey.limits import limiter
from survey.models import Audience
from tests.conftest import TODAY

pytestmark = pytest.mark.usefixtures("today")

LIMIT = 5


@pytest.fixture
def limits(app):
    """Throttling on, with a small limit and empty counters before and after."""
    saved = {key: app.config.get(key) for key in ("RATELIMIT_ENABLED", "UNKNOWN_LINK_RATE_LIMIT")}
    limiter.reset()
    app.config.update(RATELIMIT_ENABLED=True, UNKNOWN_LINK_RATE_LIMIT=f"{LIMIT}/minute")
    yield
    app.config.update(saved)
    limiter.reset()


@pytest.fixture
def links(make):
    centre = make.centre()
    trajectory = make.trajectory(make.school(centre), coaches=[make.user(centre)])
    campaign = campaign_for_trajectory(trajectory, Audience.PARENT, TODAY)
    return [issued.path for issued in issue_invitations(campaign, Audience.PARENT, 2, TODAY)]


def _unknown() -> str:
    return f"/r/{secrets.token_urlsafe(32)}"


def _paused_text(app, locale: str) -> str:
    with app.test_request_context(), force_locale(locale):
        return gettext("Please wait a moment")


def test_unknown_links_are_throttled_and_answering_is_not_counted(app, client, limits, links):
    opened, fresh = links
    # A family answering, page after page, never uses up the address's allowance.
    for _ in range(LIMIT * 2):
        assert client.get(opened).status_code == 200
    for _ in range(LIMIT):
        assert client.get(_unknown()).status_code == 404
    refused = client.get(_unknown())
    page = refused.get_data(as_text=True)
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "60"
    assert refused.headers["Referrer-Policy"] == "no-referrer"
    assert _paused_text(app, "nl_BE") in page
    assert '<html lang="nl"' in page  # the respondent's layout, not the staff one
    assert 'class="topbar"' not in page
    # Sending the form to a guessed link is refused as well.
    assert client.post(_unknown(), data={"action": "submit"}).status_code == 429

    # The link this browser was answering keeps working...
    assert client.get(opened).status_code == 200
    assert client.get(f"{opened}/thanks").status_code == 302
    # ...but a link never opened from here waits, even a valid one, in any browser: letting it
    # through would tell a guesser that this guess was right.
    assert client.get(fresh).status_code == 429
    assert app.test_client().get(f"{fresh}/thanks").status_code == 429


def test_the_pause_speaks_the_respondents_language(app, client, limits):
    for _ in range(LIMIT):
        client.get(_unknown())
    page = client.get(f"{_unknown()}?lang=fr").get_data(as_text=True)
    assert '<html lang="fr"' in page
    assert _paused_text(app, "fr_BE") in page
